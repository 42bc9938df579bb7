"""Words and patterns the question rules share: quotes, stop words and stems in six languages.

The bot reads English, Spanish, Portuguese, French, Italian and German. Stems come from the
Snowball stemmers (``snowballstemmer``: pure Python, no data to load), one per language,
cached per word; an article's language is guessed once from its commonest function words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import snowballstemmer


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


def words(text: str) -> list[str]:
    return text.split()  # word lists read better as one string than as a list literal


def short(s: str, limit: int = 40) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


# Quoted spans; a straight or curly single quote only counts as a quote mark when it is not
# an apostrophe inside a word ("Iran's", "it’ll").
QUOTED = re.compile(
    r"\"([^\"\n]+)\"|“([^”\n]+)”|„([^“”\n]+)[“”]|«\s*([^»\n]+?)\s*»|‘([^‘\n]+?)’(?!\w)"
    r"|(?<!\w)'([^'\n]+?)'(?!\w)"
)

# English function words: what the duplicate matcher and the phrase rules ignore.
STOP_WORDS = frozenset(
    words("""a about above after again against all also am an and any are as at be because
been before being below between both but by can could did do does doing down during each even few
for from further get got had has have having he her here hers him his how i if in into is it its
itself just like may me mean meant means might more most must my no nor not now of off on once one
only or other our out over own per please point points same she should so some such than that the
their them then there these they this those though through thus to too under until up upon very via
was we well were what when where which while who whom why will with would yet you your explain
clarify elaborate think know say said""")
)
# The commonest function words of the other five languages (and a few question words).
_FUNCTION_WORDS = {
    "spanish": """el la los las un una unos unas de del al y o que en es son por para con sin
        se su sus lo como más pero muy ya este esta eso qué cómo cuánto cuántos cuál dónde
        cuándo hay tu tus mi mis puedes punto no sí""",
    "portuguese": """o a os as um uma de do da dos das no na nos nas e ou que em é são por
        para com sem se seu sua como mais mas muito já este esta isso qual quanto quantas onde
        quando você vocês ponto não sim""",
    "french": """le la les un une des du de et ou que qui en est sont pour par avec sans se
        sa son ses ce cette comme plus mais très déjà quel quelle combien où quand pourquoi
        vous tu au aux point ne pas oui""",
    "italian": """il lo la i gli le un una di del della dei e o che in è sono per con senza
        si suo sua come più ma molto già questo questa quale quanto dove quando perché
        hai puoi punto non sì""",
    "german": """der die das den dem des ein eine einen einem und oder dass in ist sind für
        mit ohne sich sein seine wie mehr aber sehr schon dieser diese welche wie wo wann warum
        du ihr sie punkt nicht ja was ich auf""",
}
_ENGLISH_FUNCTION = "the a an and or of to in is are for with you your what how why this it"
FUNCTION_WORDS = {
    "english": frozenset(words(_ENGLISH_FUNCTION)),
    **{lang: frozenset(words(ws)) for lang, ws in _FUNCTION_WORDS.items()},
}
# More words that carry no topic, for routing only (the lists above also guess a text's
# language, and stay short for that): a pair like "alla fine", "hace falta" or "review every"
# must not name a point, nor "pode" score for one.
_MORE_STOP_WORDS = """every also really actually still much many lot lots anything something
    thing things even ever never always sometimes usually tho lol ok okay yeah
    hace hacer está están estoy soy eres algo alguien nada todo todos toda todas también
    cuando porque donde entre sobre hasta desde cada otro otra otros otras mucho mucha
    muchos muchas poco bien mal así aquí ahí tengo tiene tienes puede puedo ser estar voy
    va vas me te le les nos os ti ni he ha han has ahora luego siempre nunca vez veces
    pode posso podes ter tem tenho estou fazer faz vai vou pouco tudo todo também porque
    até cada outro outra mesmo aqui ali agora depois sempre nunca lhe eu ele ela eles
    elas isto aquilo pra pro tá né bem assim
    être avoir fait faire faut peut peux suis était ai as ont tout tous toute toutes
    aussi parce sur sous chez dans avant après chaque autre même ici là maintenant
    toujours jamais lui leur nous je il elle ils elles on ça cela alors donc
    alla allo alle agli al nel nella nei nelle sul sulla dal dalla uno ci mi ti vi ne se
    anche poi solo tutto tutti tutta fare fa fai faccio essere avere ho ha hanno sei sto
    sta tra fra su da ogni altro altra stesso qui qua ora adesso sempre mai io lui lei
    noi voi loro bene male così
    auch noch nur immer nie jetzt dann hier da dort so alle alles jeder jede jedes man
    mein meine dein deine kann kannst muss soll will wird werden habe hast hat haben bin
    bist war zu von bei nach vor über unter zum zur im am vom beim es er wir mir dir mich
    dich uns euch ihm ihn gibt mal doch eigentlich wirklich etwas nichts viel viele"""
ALL_STOP_WORDS = STOP_WORDS.union(*FUNCTION_WORDS.values(), words(_MORE_STOP_WORDS))
LANGUAGES = tuple(FUNCTION_WORDS)

TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def language(text: str) -> str:
    """The likeliest of the six languages for ``text`` (English on a tie or no evidence)."""
    tokens = [t.lower() for t in TOKEN.findall(text[:4000])]
    best, best_count = "english", 0
    for lang, function in FUNCTION_WORDS.items():
        count = sum(t in function for t in tokens)
        if count > best_count:
            best, best_count = lang, count
    return best


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> Any:
    return snowballstemmer.stemmer(lang)


@lru_cache(maxsize=65536)
def stem(word: str, lang: str) -> str:
    """The Snowball stem of a lower-case ``word`` in ``lang`` ("reconciliation" -> "reconcili")."""
    return str(_stemmer(lang).stemWord(word))
