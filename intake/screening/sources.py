"""The clinical sources that screening rules cite, and how sure each one is.

``docs/screening-rules.md`` explains every source; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Evidence(StrEnum):
    """How much weight a source can bear, stated honestly."""

    ARTICLE = "article"
    PEER_REVIEWED = "peer_reviewed"
    REGULATORY = "regulatory"
    MANUFACTURER = "manufacturer_labelling"
    UNVERIFIED = "not_verified"


@dataclass(frozen=True, slots=True)
class Citation:
    key: str
    text: str
    evidence: Evidence


CITATIONS: dict[str, Citation] = {
    c.key: c
    for c in (
        Citation(
            "S1",
            "SkinPen Precision System, FDA De Novo DEN160029 (2018), 21 CFR 878.4430, "
            "labelled contraindications (as reproduced by clinics; the instructions "
            "for use were not read)",
            Evidence.REGULATORY,
        ),
        Citation(
            "S2",
            "Manufacturer labelling of a microneedling device (Amiea Med Exceed manual, "
            "section 2.4.1 Contraindications)",
            Evidence.MANUFACTURER,
        ),
        Citation(
            "C5",
            "Chu S, Foulad DP, Atanaskova Mesinkovska N. Safety Profile for "
            "Microneedling: A Systematic Review. Dermatol Surg 2021;47(9):1249-1254",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C6",
            "Waldman A, Bolotin D, Arndt KA, et al. ASDS Guidelines Task Force: "
            "Consensus Recommendations Regarding the Safety of Lasers, Dermabrasion, "
            "Chemical Peels, Energy Devices, and Skin Surgery During and After "
            "Isotretinoin Use. Dermatol Surg 2017;43(10):1249-1262. "
            "doi:10.1097/DSS.0000000000001166",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C7",
            "Spring LK, Krakowski AC, Alam M, et al. Isotretinoin and Timing of "
            "Procedural Interventions: A Systematic Review With Consensus "
            "Recommendations. JAMA Dermatol 2017;153(8):802-809. "
            "doi:10.1001/jamadermatol.2017.2077",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C8",
            "Mysore V, Omprakash HM, Khatri GN. Isotretinoin and dermatosurgical "
            "procedures. Indian J Dermatol Venereol Leprol 2019;85:18-23 (not verified here: "
            "no record of this article was found)",
            Evidence.UNVERIFIED,
        ),
        Citation(
            "C9",
            "Vaghela D, Davies E, Murray G, Convery C, Walker L. Guideline for the "
            "Management Herpes Simplex 1 and Cosmetic Interventions [sic]. J Clin Aesthet "
            "Dermatol 2021;14(6 Suppl 1):S11-S14",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C10",
            "King M. Prophylaxis and Treatment of Herpetic Infections. J Clin Aesthet "
            "Dermatol 2017;10(1):E5-E7",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C11",
            "Juhasz MLW, Cohen JL. Microneedling for the Treatment of Scars: An Update "
            "for Clinicians. Clin Cosmet Investig Dermatol 2020;13:997-1003. "
            "doi:10.2147/CCID.S267192",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C12",
            "Friedmann DP, Mehta E, Verma KK, Harris R. Granulomatous Reactions From "
            "Microneedling: A Systematic Review of the Literature. Dermatol Surg, "
            "published online 2024. doi:10.1097/DSS.0000000000004450",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C13",
            "Microneedling in vitiligo: a systematic review. Dermatol Ther "
            "2020;33(6):e14297. doi:10.1111/dth.14297",
            Evidence.PEER_REVIEWED,
        ),
        Citation(
            "C14",
            "Microneedling in the nickel-allergic patient (JAAD commentary; authors "
            "and year not verified)",
            Evidence.UNVERIFIED,
        ),
        Citation(
            "PRECARE",
            "Clinic pre-treatment care pages only; no peer-reviewed source found",
            Evidence.UNVERIFIED,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Source:
    """Where a question or rule comes from: the article, or cited sources."""

    keys: tuple[str, ...]

    @classmethod
    def of(cls, *keys: str) -> Source:
        unknown = [k for k in keys if k not in CITATIONS]
        if unknown or not keys:
            raise ValueError(f"unknown citation keys: {unknown}")
        return cls(keys)

    @property
    def is_article(self) -> bool:
        return self.keys == ("article",)

    def __str__(self) -> str:
        if self.is_article:
            return "article"
        return " | ".join(f"[{k}] {CITATIONS[k].text}" for k in self.keys)


ARTICLE = Source(("article",))
