"""The small word lists the detector reads with (English plus a few words of es/fr/de/pt/it).

Kept apart from the logic so a reviewer can see every word that changes a decision.
"""

from __future__ import annotations


def _words(*chunks: str) -> frozenset[str]:
    return frozenset(" ".join(chunks).split())


def _pairs(*chunks: str) -> dict[str, str]:
    """ "cant=can't yo=years_old" -> {"cant": "can't", "yo": "years old"}."""
    pairs = (p.split("=", 1) for p in " ".join(chunks).split())
    return {short: full.replace("_", " ") for short, full in pairs}


SENTENCE_END = frozenset({".", "!", "?", "\n"})
CLAUSE_END = frozenset({",", ";", ":", "(", ")", "-", "\u2013", "\u2014"})
# Contrast starts a new clause: "no numbness, but my bladder..." (es/fr/de/pt/it too).
CONTRAST = _words("aber although but except however ma mais mas pero though whereas yet")

# Texting shorthand restored before matching ("cant" -> "can't", "whn" -> "when"); English only.
SPOKEN = _pairs(
    "cant=can't cannot=can't dont=don't didnt=didn't doesnt=doesn't wont=won't isnt=isn't "
    "arent=aren't wasnt=wasn't werent=weren't havent=haven't hasnt=hasn't hadnt=hadn't "
    "couldnt=couldn't wouldnt=wouldn't shouldnt=shouldn't im=i'm ive=i've u=you ur=your "
    "cuz=because coz=because bc=because wk=week wks=weeks yr=year yrs=years yo=years_old "
    "pls=please plz=please hrs=hours thru=through tho=though ok=okay whn=when wen=when "
    "bak=back cnt=can't carnt=can't dnt=don't realy=really bck=back abt=about nd=and wiv=with "
    "wat=what thats=that's whats=what's cos=because probs=problems ppl=people prob=problem rly=really "
    "v=very b4=before tite=tight"
)

# Negation. "can't" is not here: "I can't feel the toilet paper" is the symptom itself, and rules
# that need a negative word ("no feeling when I wipe") carry it inside their own pattern.
NEGATORS = _words(
    "aren't aucun aucune denies deny didn't doesn't don't hadn't hasn't haven't isn't jamais "
    "kein keine keinen nao neither nem nessun nessuna never ni nicht no none nor not nothing "
    "nunca pas senza sin wasn't weren't without zero"
)

# ... unless followed by one of these ("not sure", "no idea", "not only").
NOT_NEGATING = _words(
    "but certain clue else idea just know mention nur only realise realize really sure "
    "seulement solo sure wonder"
)

# Walking back from a symptom, a denial stops at these: "I haven't run since my legs went numb".
SCOPE_STOP = _words(
    "after also and as because cause e et now plus since so that then till und until when which while who y"
)

# "since my legs went numb": timing clauses split at "and/so/then" + a new subject.
JOINERS = _words("and now so then while")

SUBJECTS = _words(
    "he her his i i'm i've it it's lately my now recently she since that the these they this today we"
)

# "can't pee normally" is the symptom, not a denial by "normally".
INABILITY = _words("barely can't couldn't hardly unable won't wouldn't")

# Whose symptom is it?
PERSONAL = _words("eu i i'd i'll i'm i've ich io j'ai je me mine myself yo")

THIRD = _words("he he's her hers herself him himself his she she's somebody someone them they're")

PEOPLE = _words(
    "athlete athletes aunt boss boyfriend brother buddy child client clients coach colleague "
    "cousin coworker dad daughter father fiance fiancee flatmate friend friends girlfriend "
    "grandad grandfather grandma grandmother husband kid kids mate mom mother mum neighbor "
    "neighbour nephew niece pal parent partner patient roommate runner runners sister son "
    "spouse student teammate teenager uncle wife"
)

# Words that say a body function is normal ("bladder and bowels are fine").
FINE = _words(
    "fine good grand none nope normal normally okay perfect regular regularly unaffected unchanged usual"
)

LINKING = _words(
    "all are both completely feel feels is perfectly seem seems still totally work working works 's 100"
)
# "a wee bit", "a wee niggle": words after "wee" that mean small, not urine.
WEE_SMALL = _words(
    "bit bits niggle niggles ache aches pain pains twinge twinges while one thing things run jog tight "
    "sore stiff problem issue tweak hill hills stretch jaunt dram lad lass boy girl accident"
)
# A few common words per language: a message is "not English" when another language clearly wins.
LANGUAGE_WORDS: dict[str, frozenset[str]] = {
    "en": _words("the and i my is it to of a in have with when after back pain legs leg what can how"),
    "es": _words(
        "el la los las que y en un una es por con para mi me tengo dolor espalda desde siento piernas "
        "puedo estoy muy ayer hace"
    ),
    "fr": _words(
        "le la les et je j'ai un une est pas mal dos depuis mon ma mes jambes ne n'arrive plus au du ce",
        "suis tres",
    ),
    "de": _words(
        "ich habe und der die das nicht mein meine ist ein eine seit rucken ruckenschmerzen beine bein kann "
        "mehr auch sind beim"
    ),
    "pt": _words(
        "eu tenho estou com dor nas costas nao de e que um uma minha meu desde perdi pernas consigo muito",
        "as os",
    ),
    "it": _words(
        "ho il la di e che non mi sono un una mal schiena da dolore gambe riesco al alla ieri molto"
    ),
}
# "it's", "that's", "she's" stay one word (patterns use them); "sciatica's" splits into "sciatica 's".
KEEP_APOSTROPHE_S = _words("it that he she there what who where here let how everything nothing something")
