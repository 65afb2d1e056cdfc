"""Everyday English words that say little about a question's topic.

A word the knowledge base does not know counts against every entry (it is part of the
question that no entry explains). How much depends on the word: "yesterday", "honestly",
"cousin" or "stuck" are the colour of a chat message and should barely count, while an
unknown topical word ("payoneer", "bitcoin", "w8ben", "gig") is strong evidence that the
question is about something the knowledge base does not cover.

This list is general vocabulary (time, quantity, people, feelings, generic verbs, adverbs),
written independently of the knowledge entries and of any evaluation questions.
Words are compared after stemming (normalize.stem), so listing one form is enough.
"""

from __future__ import annotations

from connectsbot.matching.normalize import stem

_WORDS = """
about above absolutely accept according across act actual actually add admit advance advice
afraid after afternoon again age ago agree ahead aim alone along alot already alright although
always amazing amount angry annoy annoying answer anymore anyway anyways anywhere apparently
appreciate approach area arent around arrive article aside attempt aware away awesome awful
bad badly barely basically bear beat beautiful became become bed begin behind believe best
better big bit blame blog body bored boring boss bother bottom bring broke brother build busy
buy call calm came care career careful carefully case cat catch certain certainly chance change
cheap check child children choice choose city claim clear clearly close come comment common
completely concern confused confusing consider constantly continue correct correctly could
couple course cousin crazy currently cut daily damn dad dark date daughter day days dead deal
dear decent decide definitely depend describe despite detail did die different difficult
directly doubt down dream drop due dumb during early easily easy either else end enjoy enough
entire entirely especially even evening event eventually ever every exact exactly example except
excited expect experience explain extra eye face fact fail fair fairly fall family far fast
father fault favorite fear feel feeling fellow felt few figure fill final finally find fine
finish fix follow forever forget forgot forward found frankly free friend friends frustrated
frustrating full fully fun funny future game gave general generally genuinely girl give glad
god going good got great group grow guess guy half hand handle happen happened happy hard
hardly hate head hear heard heart heavy hello help helpful here hey hi high himself hit hold
home honest honestly hope hopefully horrible hour hours house huge human idea ignore ill
imagine immediately important impossible include indeed instead interest interesting issue
keep kept kid kind knew know known lady large last late lately later least leave less let
level life light likely line list literally little live long longer look looking lose loss
lost lot love low luck lucky mad main mainly major man manage matter maybe mean meanwhile
mention mess middle might mind mine minute miss mistake mom moment money month more morning
most mostly mother move moving much must myself name near nearly necessary need never nice
night nobody none normal normally nothing notice now nowhere number obviously odd often old
once only open opinion order otherwise ought outside own pain parent part particular
particularly pass past patient pay people perfect perhaps period personal personally pick
place plan play point polite poor possible possibly post pretty probably problem promise
proper properly proud prove put quick quickly quite random rather read ready real reality
realize really reason recent recently regular regularly relax remember reply right rough rude
run sad safe said same saw say scared school second see seem seen self sense serious seriously
seven several shame short should show sick side simple simply since sir sister sit situation
six slow slowly small smart soon sorry sort sound special spend stand start state stay step
still stop story straight strange stress stuck stupid suddenly suggest super suppose supposed
sure surprise surprised talk tell ten terrible than thank thanks themselves then theory thing
think third though thought three through throw till time tiny tired together told tomorrow
tonight took top totally touch tough town tried trouble true truly trust truth try turn twice
type ugly understand unfortunately unless upset use used useful usual usually value very view
wait walk wall wanna want war waste watch water way weak week weekend weird welcome went whole
wife win wish woman wonder wondering word work worked working world worried worry worse worst
worth would wow write wrong year years yes yesterday yet young
"""

GENERIC: frozenset[str] = frozenset(stem(word) for word in _WORDS.split())
