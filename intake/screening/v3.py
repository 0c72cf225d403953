"""The third rule set: the second's English, word for word, and its Spanish (issue 15).

Patients can now read the questions and the aftercare in Spanish. The
translations are data of the set, inside what its version covers: a
translation that changed a question's meaning would be a new set, like any
other change of wording. Steps, questions, rules, aftercare and citation texts
are the second set's own objects, so the English a patient reads, the flags and
what staff see are exactly the second set's; only the version differs.

Spanish: plain, calm, neutral Latin-American Spanish, "usted". Flag titles,
rationales and citations are for staff and stay English.

Once published, nothing here may change without becoming a fourth set: a test
pins the version.
"""

from __future__ import annotations

from intake.screening import v2
from intake.screening.model import Change, RuleSet

SPANISH: dict[str, str] = {
    "The skin to be treated": "La piel que se va a tratar",
    (
        "“The area to be treated” means the skin the clinic will treat at this visit, such as "
        "your face or neck."
    ): (
        "“La zona que se va a tratar” es la piel que la clínica tratará en esta visita, como la "
        "cara o el cuello."
    ),
    "More about the skin to be treated": "Más sobre la piel que se va a tratar",
    "Your skin in general": "Su piel en general",
    "Your health": "Su salud",
    "More about your health": "Más sobre su salud",
    "Your medicines": "Sus medicamentos",
    "Allergies": "Alergias",
    "Recent treatments": "Tratamientos recientes",
    "Do you have active acne on or near the area to be treated right now?": (
        "¿Tiene ahora acné activo en la zona que se va a tratar o cerca de ella?"
    ),
    "Active acne means pimples, pus spots or cysts that you have now.": (
        "Acné activo quiere decir granos, granos con pus o quistes que tiene ahora."
    ),
    "Where are the spots?": "¿Dónde están los granos?",
    "Is there a cold sore, cut, wound, rash or skin infection in the area to be treated?": (
        "¿Hay un herpes labial, un corte, una herida, un sarpullido o una infección de la piel "
        "en la zona que se va a tratar?"
    ),
    "What is it, and where?": "¿Qué es y dónde está?",
    "Is eczema, psoriasis or rosacea flaring up in the area to be treated?": (
        "¿Tiene un brote de eccema, psoriasis o rosácea en la zona que se va a tratar?"
    ),
    "Which one, and how bad is it?": "¿Cuál es y qué tan fuerte es?",
    "Do you have skin cancer, or a mole a doctor is watching, in the area to be treated?": (
        "¿Tiene cáncer de piel, o un lunar que un médico está vigilando, en la zona que se va a "
        "tratar?"
    ),
    "Please tell us more.": "Cuéntenos un poco más, por favor.",
    "Is there a scar in the area to be treated that is less than 6 months old?": (
        "¿Hay en la zona que se va a tratar una cicatriz de menos de 6 meses?"
    ),
    "What caused it, and when?": "¿Qué la causó y cuándo?",
    "Do you have any warts in the area to be treated?": (
        "¿Tiene verrugas en la zona que se va a tratar?"
    ),
    "Where are they?": "¿Dónde están?",
    "Have you ever had radiotherapy to the area to be treated?": (
        "¿Alguna vez recibió radioterapia en la zona que se va a tratar?"
    ),
    (
        "Radiotherapy is treatment with rays, often for cancer. Please say yes even if it was "
        "years ago."
    ): (
        "La radioterapia es un tratamiento con rayos, muchas veces para el cáncer. Responda que "
        "sí aunque haya sido hace años."
    ),
    "When was it, and what was it for?": "¿Cuándo fue y para qué era?",
    "Are you prone to acne breakouts?": "¿Suele tener brotes de acné?",
    "Is your natural skin colour brown, dark brown or black?": (
        "¿El color natural de su piel es moreno, moreno oscuro o negro?"
    ),
    (
        "We ask because darker skin can get dark marks after treatment. It helps the clinic "
        "choose the right settings for you."
    ): (
        "Lo preguntamos porque en la piel más oscura pueden quedar manchas oscuras después del "
        "tratamiento. Esto ayuda a la clínica a elegir los ajustes adecuados para usted."
    ),
    "After a spot, cut or burn heals, does your skin often keep a dark mark for weeks?": (
        "Cuando se cura un grano, un corte o una quemadura, ¿le suele quedar una mancha oscura "
        "durante semanas?"
    ),
    "Do you tend to get thick, raised scars (keloids)?": (
        "¿Suele tener cicatrices gruesas y abultadas (queloides)?"
    ),
    "A keloid is a scar that grows bigger than the cut or wound that caused it.": (
        "Un queloide es una cicatriz que crece más que el corte o la herida que la causó."
    ),
    "Do you have vitiligo (patches of skin that have lost their colour)?": (
        "¿Tiene vitíligo (manchas de piel que perdieron su color)?"
    ),
    "Where, and is it spreading?": "¿Dónde, y se está extendiendo?",
    "Have you ever had cold sores?": "¿Alguna vez ha tenido herpes labial?",
    (
        "Cold sores are small blisters, often on or near the lips. A virus called herpes simplex "
        "causes them."
    ): (
        "El herpes labial son pequeñas ampollas, casi siempre en los labios o cerca de ellos. "
        "Las causa un virus llamado herpes simple."
    ),
    "How often do you get them?": "¿Con qué frecuencia le salen?",
    "Are you unwell at the moment, with a fever or an infection?": (
        "¿Se siente mal en este momento, con fiebre o una infección?"
    ),
    "If you get ill before your appointment, please call the clinic.": (
        "Si se enferma antes de su cita, llame a la clínica, por favor."
    ),
    "What is it, and since when?": "¿Qué tiene y desde cuándo?",
    "Are you pregnant, might you be pregnant, or are you breastfeeding?": (
        "¿Está embarazada, podría estar embarazada o está amamantando?"
    ),
    "Have you been told you have a bleeding or clotting disorder?": (
        "¿Le han dicho que tiene un trastorno de la coagulación o de sangrado?"
    ),
    "For example haemophilia, or blood that is slow to clot.": (
        "Por ejemplo, hemofilia, o sangre que tarda en coagular."
    ),
    "What is it called?": "¿Cómo se llama?",
    (
        "Are you having chemotherapy? Please also say yes if it ended in the last 4 weeks or "
        "starts in the next 4 weeks."
    ): (
        "¿Está recibiendo quimioterapia? Responda que sí también si terminó en las últimas 4 "
        "semanas o empieza en las próximas 4 semanas."
    ),
    "When did it end, or when will it start?": "¿Cuándo terminó o cuándo va a empezar?",
    (
        "Are you having radiotherapy to any part of your body? Please also say yes if it ended "
        "in the last 4 weeks or starts in the next 4 weeks."
    ): (
        "¿Está recibiendo radioterapia en alguna parte del cuerpo? Responda que sí también si "
        "terminó en las últimas 4 semanas o empieza en las próximas 4 semanas."
    ),
    "Do you have an illness, or take a medicine, that weakens your immune system?": (
        "¿Tiene una enfermedad, o toma un medicamento, que debilita sus defensas (el sistema "
        "inmunitario)?"
    ),
    "Which illness or medicine?": "¿Qué enfermedad o qué medicamento?",
    "Do you have diabetes that is hard to keep under control?": (
        "¿Tiene diabetes que le cuesta mantener bajo control?"
    ),
    "Does your skin take a long time to heal after a cut or graze?": (
        "¿Su piel tarda mucho en curarse después de un corte o un raspón?"
    ),
    "Do you have scleroderma, lupus or another connective tissue disease?": (
        "¿Tiene esclerodermia, lupus u otra enfermedad del tejido conectivo?"
    ),
    (
        "In these long-term illnesses, the body's defences attack its own skin, joints or other "
        "parts."
    ): (
        "En estas enfermedades de larga duración, las defensas del cuerpo atacan su propia "
        "piel, sus articulaciones u otras partes."
    ),
    "Which one?": "¿Cuál?",
    "Have you been told you have G6PD deficiency, methaemoglobinaemia or bad liver disease?": (
        "¿Le han dicho que tiene deficiencia de G6PD, metahemoglobinemia o una enfermedad grave "
        "del hígado?"
    ),
    (
        "G6PD deficiency and methaemoglobinaemia are blood problems. They and liver disease can "
        "change how your body copes with numbing cream."
    ): (
        "La deficiencia de G6PD y la metahemoglobinemia son problemas de la sangre. Estas y las "
        "enfermedades del hígado pueden cambiar cómo su cuerpo tolera la crema anestésica."
    ),
    "Do you take a blood thinner, or take aspirin or another anti-platelet drug each day?": (
        "¿Toma un anticoagulante, o toma todos los días aspirina u otro antiagregante plaquetario?"
    ),
    (
        "Blood thinners include warfarin, apixaban and rivaroxaban. Anti-platelet medicines, "
        "such as aspirin or clopidogrel, make your blood clot less easily."
    ): (
        "Algunos anticoagulantes son la warfarina, el apixabán y el rivaroxabán. Los "
        "antiagregantes plaquetarios, como la aspirina o el clopidogrel, hacen que la sangre "
        "coagule con menos facilidad."
    ),
    "Which medicine, and how much?": "¿Qué medicamento y cuánto toma?",
    "Do you take steroid tablets or have steroid injections, or have you in the last 4 weeks?": (
        "¿Toma pastillas de esteroides o recibe inyecciones de esteroides, o lo hizo en las "
        "últimas 4 semanas?"
    ),
    "For example prednisolone. Steroid creams, inhalers and nose sprays do not count.": (
        "Por ejemplo, prednisolona. Las cremas, los inhaladores y los aerosoles nasales con "
        "esteroides no cuentan."
    ),
    "Which steroid, how much, and how often?": "¿Qué esteroide, cuánto y con qué frecuencia?",
    "Are you taking isotretinoin at the moment?": "¿Está tomando isotretinoína en este momento?",
    "Isotretinoin is a medicine for acne. Brand names include Roaccutane and Accutane.": (
        "La isotretinoína es un medicamento para el acné. Algunas marcas son Roaccutane y Accutane."
    ),
    "Have you stopped taking isotretinoin in the last 6 months?": (
        "¿Dejó de tomar isotretinoína en los últimos 6 meses?"
    ),
    "When did you stop?": "¿Cuándo la dejó?",
    "Do you take amiodarone or another medicine to keep your heartbeat regular?": (
        "¿Toma amiodarona u otro medicamento para mantener regular el ritmo del corazón?"
    ),
    "Some heart rhythm medicines can add to the effects of numbing cream.": (
        "Algunos medicamentos para el ritmo del corazón pueden sumarse a los efectos de la "
        "crema anestésica."
    ),
    "Have you ever reacted badly to a numbing cream such as lidocaine?": (
        "¿Alguna vez tuvo una mala reacción a una crema anestésica, como la lidocaína?"
    ),
    "Numbing cream is put on the skin to make a treatment hurt less.": (
        "La crema anestésica se pone sobre la piel para que un tratamiento duela menos."
    ),
    "What happened?": "¿Qué pasó?",
    "Do you have an allergy to nickel, stainless steel or another metal?": (
        "¿Tiene alergia al níquel, al acero inoxidable o a otro metal?"
    ),
    "Which metal, and has a test confirmed it?": "¿Qué metal, y lo confirmó una prueba?",
    "Have you put a retinoid, an acid or a scrub on the area to be treated in the last 7 days?": (
        "En los últimos 7 días, ¿se puso un retinoide, un ácido o un exfoliante en la zona que "
        "se va a tratar?"
    ),
    (
        "For example retinol or tretinoin creams, glycolic or salicylic acid, or a face scrub. "
        "These make the skin thinner for a while."
    ): (
        "Por ejemplo, cremas con retinol o tretinoína, ácido glicólico o salicílico, o un "
        "exfoliante facial. Estos productos hacen la piel más delgada por un tiempo."
    ),
    "Which product, and when did you last use it?": "¿Qué producto y cuándo lo usó por última vez?",
    "In the last 2 weeks, have you had injections to smooth wrinkles in the area to be treated?": (
        "En las últimas 2 semanas, ¿le pusieron inyecciones para suavizar arrugas en la zona "
        "que se va a tratar?"
    ),
    "For example Botox.": "Por ejemplo, bótox.",
    "When was it?": "¿Cuándo fue?",
    (
        "Has the area to be treated had a peel, a laser or IPL treatment, or sunburn, in the "
        "last 2 weeks?"
    ): (
        "En las últimas 2 semanas, ¿la zona que se va a tratar tuvo un peeling, un tratamiento "
        "con láser o IPL, o una quemadura de sol?"
    ),
    (
        "IPL means intense pulsed light. It uses flashes of light to fade red or brown marks, or "
        "to remove hair."
    ): (
        "IPL quiere decir luz pulsada intensa. Usa destellos de luz para aclarar manchas rojas "
        "o marrones, o para quitar el vello."
    ),
    "What was it, and when?": "¿Qué fue y cuándo?",
    (
        "Have you had fillers or thread lifts in the area to be treated in the last 6 months? Or "
        "surgery there in the last 12 months?"
    ): (
        "¿Le pusieron rellenos o hilos tensores en la zona que se va a tratar en los últimos 6 "
        "meses? ¿O le operaron esa zona en los últimos 12 meses?"
    ),
    "What was done, and when?": "¿Qué le hicieron y cuándo?",
    (
        "After a facial treatment or a skin serum, have you ever had a lumpy rash that lasted "
        "for weeks?"
    ): (
        "Después de un tratamiento facial o de un sérum para la piel, ¿alguna vez tuvo un "
        "sarpullido con bultos que duró semanas?"
    ),
    "What happened, and when?": "¿Qué pasó y cuándo?",
    "Redness": "Enrojecimiento",
    (
        "Your skin will look red afterwards. Most of the redness settles within about a day; "
        "after a deeper treatment it can last a little longer. Keeping your skin moisturised "
        "helps it calm down sooner."
    ): (
        "Después, su piel se verá roja. Casi todo el enrojecimiento se calma en más o menos un "
        "día; después de un tratamiento más profundo puede durar un poco más. Mantener la piel "
        "hidratada ayuda a que se calme antes."
    ),
    "Rough skin, swelling and bruising": "Piel áspera, hinchazón y moretones",
    (
        "For a few days your skin may feel rough or different when you touch it. Some swelling "
        "or bruising can also happen."
    ): (
        "Durante unos días, su piel puede sentirse áspera o distinta al tocarla. También puede "
        "haber algo de hinchazón o moretones."
    ),
    "Small marks": "Marcas pequeñas",
    (
        "The treatment makes many tiny, controlled punctures, so you may see very small marks. "
        "They do not last: they fade as your skin heals."
    ): (
        "El tratamiento hace muchos pinchazos diminutos y controlados, así que puede ver marcas "
        "muy pequeñas. No duran: se desvanecen a medida que la piel se cura."
    ),
    "Breakouts": "Brotes de granos",
    (
        "Spots or breakouts can appear after treatment, more often if your skin is prone to "
        "acne. Treating skin that has spots on it can make them worse, so tell the clinic if you "
        "have any on the day."
    ): (
        "Después del tratamiento pueden salir granos o brotes, sobre todo si su piel tiende al "
        "acné. Tratar la piel que tiene granos puede empeorarlos, así que avise a la clínica si "
        "tiene alguno ese día."
    ),
    "Pinpoint bleeding": "Pequeños puntos de sangrado",
    (
        "Tiny spots of bleeding during the treatment are normal. A numbing cream is put on your "
        "skin first to make it more comfortable."
    ): (
        "Es normal que salgan pequeños puntos de sangre durante el tratamiento. Antes, se pone "
        "una crema anestésica sobre la piel para que sea más cómodo."
    ),
    "When to call the clinic": "Cuándo llamar a la clínica",
    (
        "Call the clinic if redness, swelling or pain gets worse after the first few days "
        "instead of better. Also call if you see pus, have a fever, get blisters or a cold sore, "
        "or have a rash that spreads."
    ): (
        "Llame a la clínica si el enrojecimiento, la hinchazón o el dolor empeoran después de "
        "los primeros días en lugar de mejorar. Llame también si ve pus, tiene fiebre, le salen "
        "ampollas o un herpes labial, o tiene un sarpullido que se extiende."
    ),
}

CHANGES: tuple[Change, ...] = (
    Change(
        ("translations",),
        "Spanish for every text a patient reads: step titles and leads, questions, hints, "
        "details prompts, aftercare titles and texts. The English is the second set's, "
        "unchanged, and so are the questions, rules, flags and citations.",
        "Patients who read Spanish more easily than English answer better when they "
        "understand the question; a translation is part of what the patient was asked, so "
        "it is versioned and hashed with the set.",
    ),
)

RULESET = RuleSet(
    name="third",
    steps=v2.STEPS,
    questions=v2.QUESTIONS,
    rules=v2.RULES,
    aftercare=v2.AFTERCARE,
    citation_texts=v2.CITATION_TEXTS,
    changes=CHANGES,
    translations={"es": SPANISH},
)
