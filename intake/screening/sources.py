"""The clinical sources the rules cite: a readable label, the full reference, and its strength.

Keys are stable: a key always means the same source in every rule set. What a
rule set *published* as a citation's text is frozen in that set (it is part of
its version and of the flags it raised); what is known about the source (its
corrected reference, its strength, whether it was read here) lives here, so a
correction shows on old flags too. ``docs/clinical-rules.md`` is generated
from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from intake.screening.model import N_


class Evidence(StrEnum):
    """How much weight a source can bear, stated honestly."""

    ARTICLE = "article"
    SYSTEMATIC_REVIEW = "systematic_review"
    CONSENSUS = "consensus_guideline"
    GUIDELINE = "expert_guideline"
    REVIEW = "narrative_review"
    COMMENTARY = "commentary"
    REGULATORY = "regulatory"
    PRESCRIBING = "prescribing_information"
    MANUFACTURER = "manufacturer_labelling"
    CLINIC_PAGES = "clinic_pages_only"
    NONE = "no_source"

    @property
    def label(self) -> str:
        return EVIDENCE_LABELS[self]


# Shown to staff with each citation (translated where shown); "strength" in the docs.
EVIDENCE_LABELS: dict[Evidence, str] = {
    Evidence.ARTICLE: N_("the clinic's own patient article"),
    Evidence.SYSTEMATIC_REVIEW: N_("peer-reviewed systematic review"),
    Evidence.CONSENSUS: N_("peer-reviewed consensus recommendations (expert panel)"),
    Evidence.GUIDELINE: N_("expert-group guideline in a journal supplement (not a trial)"),
    Evidence.REVIEW: N_("short narrative review (not a trial)"),
    Evidence.COMMENTARY: N_("journal commentary (not a trial)"),
    Evidence.REGULATORY: N_("regulatory record (FDA)"),
    Evidence.PRESCRIBING: N_("medicine's prescribing information (SmPC)"),
    Evidence.MANUFACTURER: N_("manufacturer labelling"),
    Evidence.CLINIC_PAGES: N_("clinic pages only (weak)"),
    Evidence.NONE: N_("no published source: general clinical practice (weak)"),
}


@dataclass(frozen=True, slots=True)
class Citation:
    key: str
    # First author (or maker), year, journal: what a busy clinician reads first.
    label: str
    # The full reference, as corrected in the second round.
    reference: str
    evidence: Evidence
    # True only when its record or text was read in this project's workplace.
    verified: bool
    # What exactly was read, where, and what was not.
    checked: str
    # What a clinician must check before relying on it ("" when nothing).
    to_check: str = ""


CITATIONS: dict[str, Citation] = {
    c.key: c
    for c in (
        Citation(
            "S1",
            "SkinPen Precision, FDA De Novo 2018",
            "SkinPen Precision System, FDA De Novo DEN160029 (granted 2018-03-01), "
            "21 CFR 878.4430, labelled contraindications",
            Evidence.REGULATORY,
            verified=True,
            checked=(
                "FDA record confirmed (DEN160029; intended use: facial acne scars, adults 22 "
                "and over, read again in the second round). The contraindication list was read "
                "only as reproduced on clinic pages; the instructions for use were not read."
            ),
            to_check=(
                "Read the SkinPen instructions for use: the contraindication list was seen only"
                " on clinic pages."
            ),
        ),
        Citation(
            "S2",
            "Exceed device manual (manufacturer labelling)",
            "Amiea Med Exceed microneedling device, operating manual, section 2.4.1 "
            "Contraindications",
            Evidence.MANUFACTURER,
            verified=True,
            checked=(
                "Read directly in the first round (English and Czech pages of section 2.4.1). "
                "Not re-read in the second round: the wording about warts, scars under 6 months "
                "and systemic infection relies on that first reading."
            ),
            to_check=(
                "Re-read section 2.4.1 of the manual of the device this clinic uses (or its own"
                " device's labelling)."
            ),
        ),
        Citation(
            "S5",
            "Exceed 510(k) K182407, FDA 2019",
            "FDA 510(k) K182407, Exceed microneedling device: indicated to improve the "
            "appearance of facial acne scars in Fitzpatrick skin types I-IV in adults aged "
            "22 or older",
            Evidence.REGULATORY,
            verified=True,
            checked=(
                "Intended use read in the second round, as reproduced from the FDA 510(k) "
                "database by a third-party index; the FDA page itself was not opened."
            ),
            to_check=(
                "Confirm the indication on the FDA 510(k) page, and check the clearance of the "
                "device this clinic uses."
            ),
        ),
        Citation(
            "P1",
            "EMLA cream SmPC, section 4.4",
            "EMLA Cream 5% (lidocaine 2.5% and prilocaine 2.5%), Summary of Product "
            "Characteristics, section 4.4 Special warnings and precautions for use",
            Evidence.PRESCRIBING,
            verified=True,
            checked=(
                "Section 4.4 read in the second round as reproduced by two drug-information "
                "sites and the EU core safety profile: G6PD deficiency and hereditary or "
                "idiopathic methaemoglobinaemia; class III antiarrhythmics such as amiodarone "
                "(close surveillance, consider ECG). Severe liver disease was NOT found in the "
                "parts read: that part of the question rests on general lidocaine pharmacology."
            ),
            to_check=(
                "Read section 4.4 of the SmPC of the numbing cream this clinic uses; confirm "
                "whether severe liver disease belongs in the question."
            ),
        ),
        Citation(
            "C5",
            "Chu S et al., 2021, Dermatol Surg",
            "Chu S, Foulad DP, Atanaskova Mesinkovska N. Safety Profile for Microneedling: "
            "A Systematic Review. Dermatol Surg 2021;47(9):1249-1254",
            Evidence.SYSTEMATIC_REVIEW,
            verified=True,
            checked=(
                "Record and abstract confirmed in the first round. DOI not confirmed, so none "
                "is cited."
            ),
        ),
        Citation(
            "C6",
            "Waldman A et al., 2017, Dermatol Surg (ASDS)",
            "Waldman A, Bolotin D, Arndt KA, et al. ASDS Guidelines Task Force: Consensus "
            "Recommendations Regarding the Safety of Lasers, Dermabrasion, Chemical Peels, "
            "Energy Devices, and Skin Surgery During and After Isotretinoin Use. Dermatol Surg "
            "2017;43(10):1249-1262. doi:10.1097/DSS.0000000000001166",
            Evidence.CONSENSUS,
            verified=True,
            checked=(
                "Record and abstract confirmed in the first round; it does not name microneedling."
            ),
        ),
        Citation(
            "C7",
            "Spring LK et al., 2017, JAMA Dermatol",
            "Spring LK, Krakowski AC, Alam M, et al. Isotretinoin and Timing of Procedural "
            "Interventions: A Systematic Review With Consensus Recommendations. JAMA Dermatol "
            "2017;153(8):802-809. doi:10.1001/jamadermatol.2017.2077",
            Evidence.CONSENSUS,
            verified=True,
            checked=(
                "Record and abstract confirmed in the first round; it does not name microneedling."
            ),
        ),
        Citation(
            "C8",
            "Mysore V et al., 2019, Indian J Dermatol Venereol Leprol",
            "Mysore V, Omprakash HM, Khatri GN. Isotretinoin and dermatosurgical procedures. "
            "Indian J Dermatol Venereol Leprol 2019;85(1):18-23",
            Evidence.REVIEW,
            verified=True,
            checked=(
                "Record found and read in the second round (the journal's page: authors, title, "
                "2019;85:18-23 and abstract). It is a review of published studies, not a trial; "
                "it concludes that the evidence for delaying procedures is inadequate."
            ),
        ),
        Citation(
            "C9",
            "Vaghela D et al., 2021, J Clin Aesthet Dermatol (supplement)",
            "Vaghela D, Davies E, Murray G, Convery C, Walker L. Guideline for the Management "
            "Herpes Simplex 1 and Cosmetic Interventions (title as published). J Clin Aesthet "
            "Dermatol 2021;14(6 Suppl 1):S11-S14",
            Evidence.GUIDELINE,
            verified=True,
            checked=(
                "Journal page and a library record read in the second round: authors, title as "
                "published (without 'of'), supplement pages. A guideline from the Complications "
                "in Medical Aesthetics Collaborative, based on literature and experience; no "
                "trial data. Its prophylaxis tables were not read."
            ),
        ),
        Citation(
            "C10",
            "King M, 2017, J Clin Aesthet Dermatol",
            "King M. Prophylaxis and Treatment of Herpetic Infections. J Clin Aesthet Dermatol "
            "2017;10(1):E5-E7",
            Evidence.REVIEW,
            verified=True,
            checked=(
                "Journal page read in the first round: a three-page expert-group review, written "
                "mainly about dermal fillers; not a trial."
            ),
        ),
        Citation(
            "C11",
            "Juhasz MLW, Cohen JL, 2020, Clin Cosmet Investig Dermatol",
            "Juhasz MLW, Cohen JL. Microneedling for the Treatment of Scars: An Update for "
            "Clinicians. Clin Cosmet Investig Dermatol 2020;13:997-1003. "
            "doi:10.2147/CCID.S267192",
            Evidence.SYSTEMATIC_REVIEW,
            verified=True,
            checked="Confirmed in full in the first round (publisher page, PMC7764156).",
        ),
        Citation(
            "C12",
            "Friedmann DP et al., 2024, Dermatol Surg",
            "Friedmann DP, Mehta E, Verma KK, Harris R. Granulomatous Reactions From "
            "Microneedling: A Systematic Review of the Literature. Dermatol Surg, published "
            "online 2024. doi:10.1097/DSS.0000000000004450",
            Evidence.SYSTEMATIC_REVIEW,
            verified=True,
            checked=(
                "Authors, title, journal, DOI and abstract confirmed in the first round; print "
                "volume and pages not confirmed."
            ),
        ),
        Citation(
            "C13",
            "Microneedling in vitiligo review, 2020, Dermatol Ther (authors not confirmed)",
            "Microneedling in vitiligo: a systematic review. Dermatol Ther 2020;33(6):e14297. "
            "doi:10.1111/dth.14297 (authors not confirmed)",
            Evidence.SYSTEMATIC_REVIEW,
            verified=False,
            checked=(
                "PubMed record 32940387 read in the second round (title, journal, issue, DOI, "
                "abstract: 14 studies of microneedling as a vitiligo treatment), but the record "
                "as stored here shows no authors. A third-party page names 'Roohaninasab et al.' "
                "with another year; not cross-checked, so not cited."
            ),
            to_check="Find the authors of this review before citing it outside the app.",
        ),
        Citation(
            "C14",
            "Nickel-allergic patient commentary (journal, authors, year not confirmed)",
            "Microneedling in the nickel-allergic patient (commentary; reported as JAAD; "
            "authors and year not confirmed)",
            Evidence.COMMENTARY,
            verified=False,
            checked=(
                "The commentary's text was found in the first round (nickel in 316L steel; "
                "negative nickel spot tests on SkinPen tips); journal, authors and year were not."
            ),
            to_check="Find the commentary's journal, authors and year, or drop it.",
        ),
        Citation(
            "PRECARE",
            "clinic pages only",
            "Clinic pre-treatment care pages only; no peer-reviewed source found",
            Evidence.CLINIC_PAGES,
            verified=False,
            checked=(
                "Several clinics' pre-care and contraindication pages read; they disagree on "
                "intervals and none cites a study."
            ),
            to_check="Set the clinic's own intervals; these rules rest on no study.",
        ),
        Citation(
            "GENERAL",
            "general practice, no source",
            "No published microneedling source found; general clinical practice",
            Evidence.NONE,
            verified=False,
            checked="Nothing to verify: no source is claimed.",
            to_check="Decide the clinic's own policy; no source supports the rule's wording.",
        ),
    )
}


def citation(key: str) -> Citation:
    """Return the citation for ``key``.

    :raise KeyError: no such key (a rule set cites only known keys).
    """
    return CITATIONS[key]
