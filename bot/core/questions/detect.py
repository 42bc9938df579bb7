"""Is a chat message a question for the author? Rules in six languages, each with a reason.

Pure and rule-based: regexes and small word lists, and every verdict carries a short reason
naming the rule that fired, so a wrong call can be explained and the rule fixed.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

from .lexicon import QUOTED, STOP_WORDS
from .lexicon import rx as _rx
from .lexicon import short as _short
from .lexicon import words as _words

# --- is it a question? -----------------------------------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_LEAD_MENTION = re.compile(r"^(?:@([\w.:\-]+)|<@!?(\d+)>)")
_TRAIL_MENTION = re.compile(r"[,\s]@([\w.:\-]+)[\s?!.]*$")
_VOCATIVE = re.compile(
    r"^(?:(?:hey|hi|hello|dear)\s+)?((?:(?:[Mm]rs?|[Mm]s|[Dd]r|[Pp]rof)\.?\s*)?"
    r"[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*)?)\s*[,:]\s+(.*)",
    re.DOTALL,
)
_YOU = re.compile(r"\byou(?:r|rs|rself)?\b", re.IGNORECASE)
# Capitalised words that open a sentence with a comma but are not someone's name.
_OPENERS = frozenset(
    _words("""so well ok okay yes yeah no nope but and also sorry thanks honestly
seriously really wait hmm um uh oh ah again anyway interesting great now then first second third
finally still however besides actually question q re ps btw note edit update look listen fine sure
right true agreed overall personally frankly basically clearly obviously respectfully lastly quick
one plus yet indeed exactly absolutely correct cool nice wow lol i in on as if hi hello hey hiya
greetings dear please pls kindly""")
)
_AUTHOR_WORDS = frozenset(_words("author sir madam professor prof doc dr mr mrs ms"))
_TO_OTHERS = _rx(r"""
    ^(?:does|did|has|have|is|can|could|would|will|do)\s+(?:anyone|anybody|someone|somebody
        |everyone|everybody|others|other\s+readers|people)\b
  | \b(?:anyone|anybody)\s+else\b | ^(?:anyone|anybody|someone|somebody)\b
  | \b(?:can|could|would|will)\s+(?:anyone|anybody|someone|somebody)\b
  | ^who\s+else\b | \b(?:anyone|anybody)\s+here\b
  | ^(?:alguien|algu[ée]m|quelqu'un|qualcuno|jemand|irgendwer)\b
  | \b(?:alguno\s+de\s+(?:vosotros|ustedes)|algum\s+de\s+vocês)\b
  | ^(?:hat|haben|weiß|kennt|kann|macht|war)\s+(?:hier\s+)?(?:jemand|irgendwer|einer)\b
  | ^\w+\s+(?:hier\s+)?(?:noch\s+|schon\s+mal\s+|auch\s+)?(?:jemand|irgendwer|irgendjemand)\b
  | \bwhat\s+do\s+(?:you\s+all|y'all|you\s+guys|you\s+folks|others|other\s+people|people
        |folks|readers|we\s+all)\s+think\b
  | ,\s*(?:you\s+all|y'all|you\s+guys|you\s+folks|fellow\s+readers|folks|guys|everyone
        |everybody|all)\s*[?!.]*$
  | ^(?:everyone|everybody|folks|guys|all|y'all)\s*[,:]
""")
# More ways of asking other readers, looked for only when one of _OTHERS_WORDS is there.
_TO_OTHERS_MORE = _rx(r"""
    \b(?:est-ce\s+qu'|est-ce\s+que\s+)quelqu'un\b
  | \b(?:alguien|algu[ée]m|quelqu'un|qualcuno|jemand)\s+(?:aquí|aqui|ici|qui|hier|sabe|sait|sa
        |conoce|connaît|conosce|kennt|tiene|tem|a\s+déjà|ha\s+già|já)\b
  | \beveryone's\b | \beverybody's\b
""")
_OTHERS_WORDS = ("quelqu", "algu", "qualcun", "jemand", "everyone's", "everybody's")
_FILLER = _rx(
    r"^(?:(?:hi|hello|hey)\b[^,!?]*[,!]\s*)?(?:(?:and|but|so|oh|well|wait|lol|haha)[,\s]+)*"
)
# A reference label the question follows ("re 4:", "#2 -", "pt 2:", "Zu 5):"): the question
# starts after it.
_REF_LABEL = _rx(r"""^(?:re\s*:?\s*|zu\s+|about\s+|on\s+)?(?:your\s+|the\s+)?(?:\#|pt\.?\s*
    |point\s*|tip\s*|number\s*|no\.?\s*|nr\.?\s*|punto\s*|punkt\s*|ponto\s*)?(?:\d{1,3}|one|two|three
    |four|five|six|seven|eight|nine|ten|(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth
    |last)\s+one)\s*(?:question\s*)?[:,)\-–—]+\s*""")
# Applied to a sentence without its fillers and final ?!.: a whole sentence, an opening, or a
# tag ("..., right?") that asks nothing of the author.
_RHETORICAL = _rx(r"""
    ^(?:right|really|seriously|huh|eh|no|what|wtf|how\s+about\s+that|guess\s+what|who\s+cares
        |what\s+else\s+is\s+new|what's\s+new|am\s+i\s+(?:right|wrong)|isn't\s+it|come\s+on
        |don't\s+you\s+think|surprise,?\s+surprise|need\s+i\s+say\s+more|what's\s+up|sup
        |how\s+(?:are|r)\s+(?:you|u|things)(?:\s+(?:all|doing|today))?|how's\s+it\s+going
        |how\s+(?:is|'s)\s+everyone|how\s+do\s+you\s+do
        |what's\s+up\s+(?:everyone|everybody|all|guys|folks|y'all|people|team|gang))$
  | ^(?:am\s+i\s+the\s+only\s+one|who\s+else\s+but|who\s+has\s+(?:the\s+)?time\b
        |how\s+hard\s+can\s+it\s+be\b|what\s+is\s+it\s+with\b|how\s+is\s+it\s+that\b|what\s+even\b
        |.*\bwhat\s+even\s+(?:happened|is|was)\b
        |(?:isn't|is\s+not|aren't|wasn't)\s+(?:every|all
        |any)\b|who\s+(?:hasn't|has\s+not|doesn't|didn't|never|still|would\s+ever|could\s+ever)\b
        |why\s+(?:do|must|should)\s+we\b|who\s+needs\b|how\s+(?:is|are|am)\s+(?:anyone|anybody|one|i
        |we|people)\s+supposed\s+to\b|who\s+(?:came\s+up\s+with|thought\s+(?:of|that))\b
        |qui\s+a\s+eu\s+l'idée\b|wer\s+hat\s+sich\s+(?:das|diesen|so\s+was)\b|a\s+quién\s+se\s+le\s+ocurre\b|quién\s+necesita\b|quem\s+precisa\b
        |qui\s+a\s+besoin\b|chi\s+ha\s+bisogno\b|wer\s+braucht\b|how\s+can\s+it\s+be\b
        |cómo\s+puede\s+ser\b|come\s+è\s+possibile\b|wie\s+kann\s+(?:es|das)\s+sein\b
        |(?:quién|quien)\s+no\b|qui\s+n'(?:a|est)\b|qui\s+ne\b|chi\s+non\b|quem\s+(?:nunca|não)\b
        |wer\s+(?:hätte|hat\s+nicht|kennt\s+das\s+nicht|würde\s+nicht)\b)
  | ^(?:who\s+knew|who\s+(?:would|could)(?:'ve|\s+have)\s+(?:thought|guessed|known|predicted
        |imagined)
        |what\s+could\s+(?:possibly\s+)?go\s+wrong|is\s+it\s+any\s+wonder|how\s+convenient
        |why\s+am\s+i\s+not\s+surprised|what\s+a\s+(?:surprise|coincidence|joke)
        |(?:can|would)\s+you\s+believe|(?:isn't|is\s+not|wasn't|ain't)\s+(?:it|that|this)
        \s+(?:obvious|clear|ironic|funny|rich|convenient|amazing|telling|a\s+coincidence))\b
  | ,\s*¿?(?:verdad|vero|oder|nicht|n'est-ce\s+pas|né|não\s+é)$ | ,\s*why$ | \bon\s+en\s+parle$
  | ,\s*(?:right|no|eh|huh|yes|innit|isn't\s+it|aren't\s+they|am\s+i\s+right|correct
        |don't\s+you\s+think|wouldn't\s+you\s+say|(?:isn't|is\s+not)\s+(?:it|that)
        \s+(?:obvious|clear))$
""")
# Verbs a reader uses to ask the author for more ("could you ___", "please ___").
_ASK_VERB = r"""(?:explain|clarify|elaborate|expand|say\s+more|tell\s+(?:me|us)|share|define|unpack
    |describe|justify|cite|comment|address|go\s+into|spell\s+out|give|provide|walk\s+(?:me|us)
    |talk|speak|confirm|shed|add|help\s+(?:me|us)|point\s+(?:me|us)|more\s+(?:on|about))\b"""
_REQUEST = _rx(rf"""
    (?P<polite_request>\b(?:please|pls|plz|kindly)\b[^.!?]{{0,60}}?\b{_ASK_VERB})
  | (?P<imperative>^(?:(?:so|and|also|but|now|ok|okay|then),?\s+)?(?:explain|clarify|elaborate
        |expand\s+on|define|describe|unpack|justify|spell\s+out|tell\s+(?:me|us)|say\s+more
        |walk\s+(?:me|us)\s+through|help\s+(?:me|us)\s+understand)\b)
  | (?P<can_you>\b(?:(?:can|could|would|will|might)\s+you|if\s+you\s+(?:could|would|can))\s+
        (?:please\s+|kindly\s+|maybe\s+|perhaps\s+)?{_ASK_VERB})
  | (?P<would_like>(?:\bi(?:'d|\s+would)|^would)\s+(?:really\s+)?(?:like|love|appreciate)\s+
        (?:to\s+(?:know|hear|understand|ask|learn|see\s+(?:more|your|a\s+source|evidence))
        |you\s+to|it\s+if\s+you|(?:an?\s+|some\s+|more\s+)?(?:explanation|clarification
        |elaboration|details?|sources?|answer|follow[-\s]?up|write[-\s]?up|deep[-\s]dive
        |breakdown|example|template|list|guide|post\s+on|piece\s+on|(?:a\s+(?:bit|little)\s+)?more\s+(?:on
        |about))))
  | (?P<wondering>\bi(?:'m|\s+am|\s+was)?\s+wondering\b|\bi\s+wonder\b
        |^(?:just\s+|was\s+|also\s+)?wondering\s+(?:if|whether|how|what|why|when|where|which|who)\b)
  | (?P<wants_to_know>\b(?:i|we)\s+(?:want|need)\s+to\s+(?:know|understand|hear)\b)
  | (?P<curious>\b(?:curious|keen)\s+(?:to\s+(?:know|hear|learn)|why|what|how|whether|if|about)\b)
  | (?P<confused>\bnot\s+sure\s+(?:what|why|how)\s+you\b|\bnot\s+sure\s+(?:i|i'm)\s+(?:get
        |understand|follow|see|getting|understanding|following)\b|\b(?:lost|confused|confuses)\s+me
        \b|\bwent\s+(?:right\s+)?over\s+my\s+head\b|\bi\s+(?:don't|do\s+not|didn't
        |can't|cannot)\s+(?:quite\s+|really\s+|fully\s+|totally\s+)?(?:understand|get|follow
        |see)\s+(?:what|why|how|your|«»|(?:(?:the|this|that|your)\s+)?(?:last\s+|first\s+)?(?:part
        |bit|point|tip|step|rule|section|paragraph|idea|argument|claim|logic|link|difference
        |reasoning|meaning|concept|term|phrase|sentence|example)s?|(?:the|this|that|your)\s+(?:[\w'-]+
        \s+){{1,4}}?(?:part|bit|point|tip|step|rule|section|idea|argument|claim|logic|thing|advice
        |maths?|formula|method|trick|test)s?|(?:the\s+)?(?:first|second
        |third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)\s+(?:one|point|tip|step))\b)
  | (?P<asks_for_more>\b(?:more|further)\s+(?:details?|context|info|information|explanation
        |clarification)\s+(?:on|about|regarding|please)\b
        |\b(?:any|some)\s+(?:sources?|evidence|proof|references?|links?)\s+(?:for|on|about|to)\b)
  | (?P<asks_you>^(?:why|how|what|which|where|when|who)\s+(?:do|did|does|would|could|will|can
        |should|are|were|have)\s+you\b|\bwhat\s+(?:do|did)\s+you\s+mean\b|^how\s+come\b)
  | (?P<labelled>^(?:quick\s+|one\s+)?q(?:uestion)?\s*:|\bquestion\s+(?:for|to)\s+(?:you
        |the\s+author)\b|\bi(?:\s+have|\s+had|'ve|'ve\s+got)\s+a\s+(?:quick\s+)?question\b)
""")
# More requests, looked for only when the sentence has "would" or "question" / "quick one".
_REQUEST_MORE = _rx(r"""
    (?P<would_like>\bwould\s+(?:really\s+)?(?:like|love)\s+to\s+(?:know|hear|understand|see\s+(?:a
        \s+source|evidence))\b|\b(?:a\s+source|sources|evidence|proof|a\s+link|an?\s+example|a\s+reference)
        \s+would\s+be\s+(?:nice|great|good|helpful|appreciated|welcome)\b|\b(?:would|it'd|it\s+would)\s+be
        \s+(?:really\s+|so\s+)?(?:great|nice|helpful|useful|awesome|good|cool|interesting)\s+(?:if\s+you
        |to\s+(?:see|get|have|hear|know|read)\b))
  | (?P<asks_you>\b(?:what|which|how)\s+would\s+you\s+(?:actually\s+|personally\s+|really\s+)?(?:buy
        |do|pick|choose|recommend|use|start|suggest|change|get|try)\b)
  | (?P<supposed>\bwhat\s+(?:exactly\s+)?(?:am\s+i|are\s+we|should\s+i|do\s+i)\s+(?:supposed
        |meant)\s+to\b)
  | (?P<asks_for_more>\bwould\s+(?:want|need|like|love)\s+(?:a\s+source|sources|evidence|proof)\b)
  | (?P<labelled>\b(?:real|quick|honest|serious|genuine|dumb|stupid|noob)\s+question\b
        |\bquick\s+one\b(?!\s+(?:today|tonight|this)))
""")
_MORE_WORDS = ("would", "it'd", "question", "quick one", "supposed", "meant to")
# Requests said as statements ("point 3 is unclear to me", "more on tip 4 please"): looked
# for only when the sentence has one of their words, since unanchored alternatives that
# start with a word list cost at every position of every sentence.
_STATEMENT_REQUEST = _rx(rf"""
    (?P<not_clear>(?:\b(?:point|tip|step|rule|part|bit|section|paragraph|sentence|argument|claim
        |logic|idea|explanation|example|one|«»)|\d)\s+(?:is|was|seems|feels|looks
        |sounds|remains|are|were)\s+(?:(?:a\s+)?(?:bit
        |little|tad|quite|rather|still|very|really|pretty|kinda|kind\s+of|somewhat|so|too
        |a\s+little)\s+)*(?:unclear|confusing|vague|ambiguous|hard\s+to\s+(?:follow|understand|get))\b
        |\b(?:i'm|i\s+am|i\s+was|i\s+got)\s+(?:a\s+(?:bit|little)\s+|still\s+|so\s+|really
        \s+|very\s+|kinda\s+|totally\s+)?(?:confused|lost|unsure)\s+(?:about|by|on|with|at|as\s+to
        |re|here|there)\b(?!\s+(?:the\s+|some\s+|those\s+)?(?:people|folks|anyone|everyone|them|him
        |her|those|others|runners|readers)\b)|^(?:(?:still|bit|a\s+bit|kinda|so)\s+)?(?:confused
        |lost)\s+(?:about|by|on|with|at)\b(?!\s+(?:the\s+)?(?:people|folks|anyone|everyone|them)\b)
        |\b(?:it's|that's|this\s+is)\s+(?:still\s+|a\s+bit\s+)?(?:unclear|not\s+clear)\s+to\s+me\b
        |\bnot\s+clear\s+(?:to\s+me|what|why|how|on|about|whether|if)\b)
  | (?P<doubts>\bnot\s+(?:sure\s+i\s+buy|convinced)\b
        |\bi'm\s+(?:a\s+bit\s+|quite\s+|very\s+)?skeptical\b|\bhard\s+to\s+believe\b)
  | (?P<polite_after>{_ASK_VERB}(?![^.!?]*\blater\b)[^.!?]{{0,60}}?\b(?:please|pls|plz)\b)
""")
_STATEMENT_WORDS = (
    "convinced",
    "buy",
    "skeptical",
    "believe",
    "unclear",
    "confus",
    "vague",
    "ambiguous",
    "hard to",
    "lost",
    "unsure",
    "not clear",
    "please",
    "pls",
    "plz",
)
# A sentence opening like a question, in any of the six languages, asks even without "?"
# ("how many gels per hour do you recommend", "what's a filling loop", "cuánto ahorráis").
_DIRECT = _rx(r"""
    ^(?:how\s+(?!(?:cool|nice|great|true|interesting|sad|funny|lovely|weird)\b)(?:many|much|long
        |often|far|do|did|does|would|should|can|could|is|are|was|were|come|big|old|hot|cold|deep
        |high|wide|fast|early|late|soon|tall|small|heavy|strong|warm|close)
      |what(?:'s|\s+(?:is|are|was|were|do|did|does|would|should|kind|size|sort|type|tool|happens
        |if|about|counts))
      |(?:what|which)\s+(?:\w+\s+){1,3}?(?:do|did|does|should|would|can|will)\s+(?:you|i|we)\b
      |which\s+\w+ | where\s+(?:do|did|does|can|should|is|are|would)
      | when\s+(?:do|did|does|should|is|are|would|can)
      | who\s+(?!(?:knew|cares)\b)\w+s\b | who\s+(?:is|are|should|can|would)
      | why\s+(?:do|did|does|is|are|would|should|not)
      | (?:do|did|does|can|could|would|should|will|have)\s+you\b
      | (?:is|are|was|were|does|do|did|can|could|should|would|will)\s+(?!it\s+just\s+me\b
        |i\s+just\s+say\b)(?:it|there|this|that|these|those|i|we|my|the|a|an|one)\b
      | am\s+i\s+(?!the\s+only\b)\w+ | (?:does|do|did)\s+\w+ing\b
      | (?:cuánt[oa]s?|cómo|qué(?!\s+\w+\s+(?:tan|más)\s)(?!\s+(?:envidia|bonit[oa]s?|guay|pasada
        |horror|rabia|pena|bien|mal
        |suerte|chul[oa]|fuerte|locura|asco|miedo|gusto|alegría|maravilla|lind[oa]|ganas|día|tiempo
        |frío|calor)\b)|cuál(?:es)?|dónde|cuándo|por\s+qué|quién)\s+\w+
      | cada\s+cuánto | (?:con|de|a|en|para|por)\s+(?:qué|cuál|cuánt[oa]s?)\b
      | (?:quant[oa]s?|qual|quais|onde|quando|por\s+que|o\s+que|quem)\s+\w+
      | (?:combien|comment|quel(?:le)?s?|où|quand|pourquoi|qu'est-ce|est-ce\s+que)\b
      | (?:quant[oaie]|quale|quali|dove|perché|cosa|che\s+cosa)\s+\w+
      | (?:con|di|a|in|da|per|su)\s+(?:che|quale|quali|quant[oaie])\b | e\s+se\b
      | (?:wie\s+(?:viel|oft|lange?|groß|hoch|schnell|genau|macht|machst|kann|kannst|soll|sollte
        |funktioniert|findet|findest|geht|gehst|zählst|bekommt|würdest)|was\s+(?:machst|würdest
        |hältst|denkst|empfiehlst|nimmst|tust|sagst)\s+(?:du|ihr)|und\s+wenn|gibt\s+es
        |(?:kann|soll|sollte|muss|darf)\s+(?:man|ich)(?!\s+(?:nur\s+)?(?:bestätigen|zustimmen|unterschreiben
        |empfehlen)\b)|was\s+(?:kostet|ist
        |sind|bringt|heißt|meinst|macht|passiert)|welche[rsnm]?|wo|wann|warum|wieso|weshalb)\b
    )""")
# "Why is it always the left knee??": a complaint, not a question (unless it asks "you").
_COMPLAINT = _rx(r"""^(?:why|warum|wieso|por\s+qué|pourquoi|perché|por\s+que)\b
    (?!.*\b(?:you|your|du|dein|ihr|euch|tú|usted|vous|tu|voi|você|vocês)\b)
    .*\b(?:always|ever|never|every|everyone|everybody|nobody|no\s+one|still|even|immer|nie|noch
        |jeder|jede|niemand|siempre|nunca|todavía|aún|todos|nadie|toujours|jamais|encore|personne
        |sempre|mai|ancora|tutti|nessuno|ainda|ninguém)\b""")
_SECOND_PERSON = re.compile(
    r"\b(?:you|your|u|du|dein|deine|dir|dich|tú|tu|usted|vous|voi|você|vocês)\b"
)
# Markup that asks nothing: block quotes of others' words, code spans, emphasis marks.
_QUOTE_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_CODE = re.compile(r"`[^`\n]*`")
_EMPHASIS = re.compile(r"\*\*|__|~~")
# Requests in the other five languages; looked for only when the sentence has one of their
# opening words (most messages have none, and the pattern is long).
_REQUEST_OTHER = _rx(r"""
    (?P<asks_in_spanish>\b(?:puedes|podrías|podria|podría|puede|podéis)\s+(?:aclarar|explicar
        |ampliar|detallar|precisar|desarrollar|contar|dar)\b|\bno\s+(?:lo\s+)?(?:entiendo|entendí
        |he\s+entendido|comprendo)\b|\bno\s+me\s+(?:queda|quedó|quedan|es)\s+(?:muy\s+|del\s+todo
        \s+|nada\s+)?claro\b|\bqué\s+quieres\s+decir\b|\ba\s+qué\s+te\s+refieres\b
        |\bme\s+pregunto\b|\bme\s+interesa(?:ría)?\s+saber\b|\bme\s+gustaría\s+(?:saber|entender|conocer|ver|leer)\b|\bquer(?:ría|ía)\s+saber\b|\bno\s+acabo\s+de\s+entender\b
        |\bme\s+quedaría\s+más\s+claro\b|\b(?:dime|cuéntame|explícame)\b
        |\bme\s+vendría\s+bien\b|\bno\s+me\s+cuadra\b)
  | (?P<asks_in_portuguese>\b(?:pode|podes|poderia|podem)\s+(?:explicar|esclarecer|detalhar
        |aprofundar|dar)\b|\bnão\s+(?:entendi|entendo|percebi|percebo|compreendi)\b
        |\bnão\s+(?:me\s+)?ficou\s+(?:muito\s+|bem\s+)?claro\b|\bqueria\s+saber\b|\bfiquei\s+(?:na|com)\s+dúvida\b|\btenho\s+uma\s+dúvida\b|\bme\s+(?:diz|diga|fala
        |conta|explica)\b|\btem\s+como\b|\bseria\s+bom\s+saber\b|\bfiquei\s+(?:meio\s+|um\s+pouco\s+)?perdid[oa]
        \b|\bum\s+passo\s+a\s+passo\b|\bo\s+que\s+(?:quer|queres|quis)\s+dizer\b)
  | (?P<asks_in_french>\b(?:pouvez|pourriez)[-\s]vous\s+(?:préciser|expliquer|développer
        |détailler|clarifier|donner)\b|\b(?:peux|pourrais)[-\s]tu\s+(?:préciser|expliquer|développer
        |détailler)\b|\bje\s+n'ai\s+pas\s+(?:bien\s+|trop\s+|vraiment\s+)?compris\b
        |\bj'ai\s+pas\s+(?:bien\s+|trop\s+|vraiment\s+)?compris\b|\b(?:pas|peu)\s+convaincue?\b
        |\bje\s+ne\s+(?:comprends|saisis|vois)\s+pas\b|\b(?:ce\s+n'est|c'est|ça\s+n'est|point\s+\d+\s+n'est)\s+pas\s+(?:très
        \s+|bien\s+|super\s+|vraiment\s+)?clair\b|\b(?:que|qu'est-ce\s+que)\s+(?:voulez-vous
        |vous\s+voulez|veux-tu|tu\s+veux)\s+dire\b|\bqu'entend(?:ez-vous|s-tu)\b
        |\b(?:tu\s+peux|vous\s+pouvez|tu\s+pourrais|vous\s+pourriez)\s+(?:me\s+|nous\s+)?(?:ré)?
        (?:expliquer|préciser|développer|détailler|clarifier|donner|partager)\b|\bj'aimerais
        \s+(?:bien\s+|beaucoup\s+)?(?:une?|des|savoir|comprendre|plus|en\s+savoir|avoir)\b
        |\bmériterait\s+(?:une|des)\s+sources?\b|\bje\s+me\s+demande\b|\b(?:dis|dites)[-\s]moi\b
        |\b(?:tu|vous)\s+fai(?:s|tes)\s+comment\b|\bj'ai\s+du\s+mal\s+à\b|\bje\s+veux\s+bien\s+une\s+source\b|\bc'est\s+quoi\b|\b(?:on|tu|vous)\s+fai(?:t|s|tes)
        \s+quoi\b)
  | (?P<asks_in_italian>\b(?:puoi|potresti|può|potrebbe|potete)\s+(?:spiegare|chiarire
        |approfondire|precisare|dare|fare)\b|\bnon\s+ho\s+(?:ben\s+|bene\s+)?capito\b|\bnon\s+capisco\b|\bmi\s+piacerebbe\s+(?:sapere|capire|avere|un|una|più)\b|\bvorrei\s+sapere\b|\bdimmi\b
        |\bmi\s+chiedo\b
        |\bnon\s+mi\s+è\s+(?:molto\s+|del\s+tutto\s+|ben\s+)?chiar[oa]\b|\b(?:cosa|che)\s+intend[ie]\b)
  | (?P<asks_in_german>\b(?:kannst\s+du|können\s+sie|könnten\s+sie|könntest\s+du)\s+
        (?:\S+\s+){0,3}?(?:erklären|erläutern|genauer|ausführen|sagen)\b|\bwas\s+ist\s+mit\b.*\bgemeint\b
        |\bwas\s+(?:meinst\s+du|meinen\s+sie)\b|\bich\s+(?:verstehe|habe)\s+(?:das\s+)?nicht\b
        |\bich\s+verstehe\s+(?!die\s+welt\b)(?:\S+\s+){0,4}?nicht\b|\bverstehe\s+ich\s+(?:\S+\s+){0,2}?nicht\b
        |\bmir\s+(?:nicht\s+(?:ganz\s+|so\s+)?klar|(?:noch\s+|etwas\s+)?unklar)\b
        |\b(?:hätte|würde)\s+(?:sehr\s+)?(?:gern|gerne)\s+(?:mehr|eine?n?|genauer|gewusst|erfahren)\b
        |\bfrag(?:e)?\s+mich\s+(?:gerade\s+|grade\s+)?(?:ob|wie|was|warum|wann)\b|\bhätte\s+ich\s+gern(?:e)?\b
        |\bversteh(?:e)?\s+(?:ich\s+)?(?:nicht|nich)\b|\bwas\s+(?:machst|tust)\s+du\b
        |\bmich\s+würde\s+interessieren\b|\bwürde\s+mich\s+interessieren\b|\bsag\s+mal\b|\b(?:hab|habe)\s+ich\s+(?:noch\s+)?nicht\s+(?:ganz\s+)?verstanden\b
        |\bwäre\s+(?:gut|schön|toll|super),?\s+wenn\s+du\b|\bich\s+bin\s+(?:mir\s+)?unsicher\b)
""")
_OTHER_OPENERS = frozenset(
    _words("""puedes podrías podria podría puede podéis no qué a pode podes poderia podem não o
    pouvez pourriez peux pourrais je que qu'est-ce qu'entendez-vous qu'entends-tu puoi potresti
    può potrebbe potete non cosa che kannst können könnten könntest was ich verstehe mir ce c'est ça
    point me tu on vous j'aimerais mériterait hätte würde vendría cuadra piacerebbe interesa
    quería queria querría acabo quedaría dime cuéntame explícame tem seria fiquei um dis dites
    j'ai mich sag hab habe wäre bin vorrei dimmi mi fiquei tenho gustaría pas peu frag frage
    versteh verstehe hätte pregunto""")
)
_PRAISE = _rx(r"""^(?:great|interesting|excellent|good|nice|brilliant|superb|insightful
    |fascinating|informative|thought[-\s]provoking|well\s+(?:written|said|put|done)|spot\s+on
    |thanks|thank\s+you|agreed?|love\s+(?:this|it)|bravo|kudos|cheers|wow|i\s+agree)\b""")
_GREETING = _rx(r"^(?:hi|hello|hey|hiya|howdy|greetings|yo|good\s+(?:morning|afternoon|evening))\b")


# Chat shorthand and the commonest slips in the words the rules look for, read as the words
# they stand for: "can u explain", "wat do u mean", "wdym", "cna you explian teh second
# point". Applied only to a sentence the rules found nothing in. Mostly forms that are no
# word of the six languages the bot reads ("dont" is French and "im" German: those two only
# where English grammar says so); "u" (Spanish "or") and "q" (Spanish and Portuguese chat
# for "que") are the overlaps, read as "you" and "qué".
_FORMS = {
    "u": "you",
    "yu": "you",
    "yuo": "you",
    "ur": "your",
    "wat": "what",
    "wut": "what",
    "wht": "what",
    "waht": "what",
    "whta": "what",
    "whats": "what's",
    "wats": "what's",
    "wdym": "what do you mean",
    "wym": "what do you mean",
    "hwo": "how",
    "hows": "how's",
    "whys": "why's",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "cant": "can't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "arent": "aren't",
    "wouldnt": "wouldn't",
    "couldnt": "couldn't",
    "ive": "i've",
    "youre": "you're",
    "teh": "the",
    "cna": "can",
    "cn": "can",
    "coud": "could",
    "cuold": "could",
    "woudl": "would",
    "wolud": "would",
    "shoud": "should",
    "ment": "meant",
    "mena": "mean",
    "meen": "mean",
    "abt": "about",
    "kanst": "kannst",
    "q": "qué",
    "tho": "though",
}
_CONTEXT_FORMS = re.compile(
    r"\b(?:(?P<dont>(?:i|you|we|they)\s+dont)|(?P<im>im)(?=\s+(?:wondering|confused|curious|not|lost"
    r"|unsure|struggling|trying|still|a\s+bit|so|really|kinda|asking))|(?P<id>id)(?=\s+(?:like|love"
    r"|appreciate|be\s+curious|want)))\b"
)
_CONTEXT_REPLACE = {"im": "i'm", "id": "i'd"}
# The request verbs, long enough that one slip (a letter dropped, added, changed or two
# swapped) still names only them: "explian", "clarfy", "elabroate", "undrestand".
_VERBS = ("explain", "clarify", "elaborate", "understand", "describe")
_WORD = re.compile(r"[a-z']+")
_PUNCTUATION = str.maketrans({c: " " for c in ',.;:!?()[]"«»¿¡…'})


def _typo_verb(word: str) -> str | None:
    if len(word) < 6 or word in _VERBS:
        return None
    for verb in _VERBS:
        if (
            verb[0] == word[0]
            and abs(len(verb) - len(word)) <= 1
            and OSA.distance(word, verb, score_cutoff=1) <= 1
        ):
            return verb
    return None


def chat_forms(s: str) -> str:
    """``s`` (lower case) with chat shorthand and slips in request words spelt out."""
    words = s.translate(_PUNCTUATION).split()
    if (
        _FORMS.keys().isdisjoint(words)
        and not any(len(w) >= 6 and w[0] in "ecud" and _typo_verb(w) for w in words)
        and "dont" not in s
        and "im " not in s
        and "id " not in s
    ):
        return s
    s = _CONTEXT_FORMS.sub(_context_form, s)

    def spelt(m: re.Match[str]) -> str:
        w = m.group(0)
        return _FORMS.get(w) or _typo_verb(w) or w

    return _WORD.sub(spelt, s)


def _context_form(m: re.Match[str]) -> str:
    if m.group("dont"):
        return m.group("dont")[:-4] + "don't"
    return _CONTEXT_REPLACE[m.lastgroup or ""]


def _names_author(name: str, author: str) -> bool:
    words = set(re.findall(r"[a-z]+", name.lower()))
    return bool(words & _AUTHOR_WORDS) or bool(words & set(re.findall(r"[a-z]+", author.lower())))


def _addressee(text: str, author: str) -> str | None:
    """Who, other than the author, the whole message is addressed to (an @mention, 'Bob, ...')."""
    m = _LEAD_MENTION.match(text) or _TRAIL_MENTION.search(text)
    if m:
        name = next(g for g in m.groups() if g)
        return None if _names_author(name, author) else "@" + name
    m = _VOCATIVE.match(text)
    # A leading "Name," addresses someone only if the rest speaks to "you"; otherwise
    # "Russia, will it help?" would read as a message to Russia.
    if m and _YOU.search(m.group(2)):
        name = m.group(1)
        words = set(name.lower().split())
        if words.isdisjoint(_OPENERS) and words.isdisjoint(STOP_WORDS):
            return None if _names_author(name, author) else name
    return None


# "why"/"who" in the six languages (a trailing space where a longer word starts the same).
_WHY_WHO = (
    "why",
    "who",
    "wer ",
    "warum",
    "wieso",
    "quién",
    "por qué",
    "pourquoi",
    "qui ",
    "perché",
    "chi ",
    "quem ",
    "por que",
    "porqué",
)


# A message ending in a lone "why"/"who" is exasperation, not a question.
_WHY_WORDS = frozenset(w.strip() for w in _WHY_WHO)
_ECHO_STRIP = " \t\n?!.,…¿¡😭😩🙃😤🥶😅😂🤣🙄😡"
# "Is there anything sharper than puppy teeth? No. No there is not.": the writer answers.
# Words before a closing "why"/"who" that keep it an echo: "... honestly who".
_ECHO_LEAD = re.compile(r"^(?:honestly|seriously|srsly|like|but|i\s+mean|ugh|just|so)\s+")
# A whole sentence that answers ("No.", "Of course not."), or one opening with a word that
# only an answer opens with ("yeah that's how ...", "nope, ...").
_SELF_ANSWER = _rx(r"""^\s*(?:(?:no|of\s+course(?:\s+not)?|didn't\s+think\s+so|exactly|nein
    |claro\s+que\s+no|non)\s*[.!]*\s*$|(?:yeah|yep|yup|nope|nah|obviously|spoiler)\b)""")


# "off topic but ...": the writer says it is not about the article.
_OFF_TOPIC = _rx(r"""^\W*(?:off[-\s]?topic|ot\s*[:,-]|unrelated|totally\s+unrelated|hors[-\s]sujet
    |fuera\s+de\s+tema|fora\s+do\s+assunto|fuori\s+tema)""")


def _emphatic_why(s: str, core: str) -> bool:
    """ "Why do we do this to ourselves??": a doubled mark on a why/who not asking "you"."""
    return (
        s.endswith(("??", "?!", "!?"))
        and core.startswith(_WHY_WHO)
        and not (_SECOND_PERSON.search(core))
    )


def _asks(s: str, core: str) -> str:
    """The reason a sentence without "?" asks the author something (a request, or a direct
    question's word order), or "" if it does not."""
    if (
        (m := _REQUEST.search(s))
        or (any(w in s for w in _MORE_WORDS) and (m := _REQUEST_MORE.search(s)))
        or (any(w in s for w in _STATEMENT_WORDS) and (m := _STATEMENT_REQUEST.search(s)))
        or (
            not _OTHER_OPENERS.isdisjoint(s.replace("-", " ").split())
            and (m := _REQUEST_OTHER.search(s))
        )
    ):
        rule = (m.lastgroup or "request").replace("_", " ")
        return f"asks for an answer ({rule}: '{_short(m.group(0), 30)}')"
    if m := _DIRECT.match(core):
        return f"asks without a question mark ('{_short(m.group(0), 30)} ...')"
    return ""


def is_question(text: str, *, author: str = "") -> tuple[bool, str]:
    """Whether ``text`` asks the author something, and the rule that decided it.

    ``author`` (the article's byline) lets "@Andrew ..." or "Andrew, ..." count as the author.
    """
    text = text.strip()
    if not text:
        return False, "empty message"
    if ">" in text or "`" in text or "*" in text or "_" in text or "~" in text:
        text = _EMPHASIS.sub("", _CODE.sub(" «» ", _QUOTE_LINE.sub(" ", text))).strip()
        if not any(c.isalpha() for c in text):
            return False, "markup only: a quote or code, no request"
    if _OFF_TOPIC.match(text):
        return False, "off topic: not about the article"
    addressee = _addressee(text, author)
    if addressee:
        return False, f"addressed to {addressee}, not the author"
    no_urls = _URL.sub(" ", text)
    unquoted = QUOTED.sub(" «» ", no_urls)
    notes: list[str] = []
    to_others = False
    sentences = _SENTENCE.split(unquoted)
    last = sentences[-1].lower().strip(_ECHO_STRIP) if sentences else ""
    last = _ECHO_LEAD.sub("", last)
    if last in _WHY_WORDS and len(sentences) > 1:  # "why does he ... WHY 😭", "Chi?? 😤"
        return False, f"rhetorical (ends with '{last}')"
    for i, sentence in enumerate(sentences):
        s = " ".join(sentence.replace("’", "'").lower().split()).lstrip("¿¡ ")
        if not any(c.isalpha() for c in s):
            continue
        core = _REF_LABEL.sub("", _FILLER.sub("", s)).rstrip("?!.… ")
        if (
            _TO_OTHERS.search(s)
            or "ihr alle" in s
            or "euch all" in s
            or (any(w in s for w in _OTHERS_WORDS) and _TO_OTHERS_MORE.search(s))
        ):
            notes.append(f"asks other readers ('{_short(s)}')")
            to_others = True
        elif _RHETORICAL.search(core) or _COMPLAINT.match(core) or _emphatic_why(s, core):
            notes.append(f"rhetorical ('{_short(s)}')")
        elif (
            "?" in s
            and i + 1 < len(sentences)
            and _SELF_ANSWER.match(sentences[i + 1])
            and not _SECOND_PERSON.search(s)
        ):
            notes.append(f"rhetorical, answered by its writer ('{_short(s)}')")
        elif to_others:  # "Anyone tried X? Is it worth it? How did you do it?": still them
            continue
        elif "?" in s:
            return True, "asks with a question mark"
        elif found := _asks(s, core):
            return True, found
        elif (spelt := chat_forms(s)) != s:  # only then: most messages need no respelling
            core = _REF_LABEL.sub("", _FILLER.sub("", spelt)).rstrip("?!.… ")
            if _RHETORICAL.search(core):
                notes.append(f"rhetorical ('{_short(s)}')")
            elif found := _asks(spelt, core):
                return True, found
    lowered = text.lower()
    if notes:
        return False, notes[0]
    if "?" in no_urls and "?" not in unquoted:
        return False, "question mark only inside a quote"
    if _GREETING.match(lowered):
        return False, "greeting"
    if _PRAISE.match(lowered):
        return False, "praise or agreement, no question"
    if "?" in unquoted:
        return False, "a question mark but no words asking anything"
    return False, "a remark: no question mark and no request"


# --- which point? ----------------------------------------------------------------------------
