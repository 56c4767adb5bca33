"""Every number that decides a match, in one place, with what chose it.

Scores run from 0 to 1 inside the matcher (shown to users as 0-100). They were
chosen on these labelled sets, re-run with `known-issue eval` after any change:

    set (knowledge)                          cases  top1  channel_recall  false  wrong
                                                                          alarms high
    ../shared/eval/seed-dev.jsonl (knowledge/)   20  1.00      1.00          0     0
    tests/data/team-cases.jsonl (knowledge/)     28  1.00      1.00          0     0
    tests/data/qa-cases.jsonl (knowledge/)       41  1.00      0.74          0     0
    tests/data/qa2-cases.jsonl (knowledge/)      13  1.00      1.00          0     0
    tests/data/qa3-cases.jsonl (knowledge/)      16     -         -          0     -
    tests/data/qa4-cases.jsonl (knowledge/)      50  1.00      0.96          0     0
    tests/data/hunt-team.jsonl (knowledge/)     156  1.00      0.96         18     0
    tests/data/second-team/cases.jsonl           90  1.00      0.96          0     0
    tests/data/second-team/harder-cases.jsonl    36  1.00      0.94          1     0
    tests/data/second-team/probes.jsonl          14     -         -          4     -
      (the second-team sets on tests/data/second-team/knowledge, another
      team's log in three layouts that a tester wrote)
    ../shared/eval/realworld-dev.jsonl           60  1.00      0.86          0     0
    bench/cases/realworld-proxy-angular.jsonl    83  0.93      0.70          0     0
    bench/cases/realworld-proxy-nextjs.jsonl    100  0.93      0.80          0     0
    bench/cases/corpus-proxy.jsonl              146  0.93      0.75          0     0
    bench/cases/corpus-negatives.jsonl           88     -         -          3     -
    bench/cases/realworld-check.jsonl            84  0.99      0.75          0     0
    bench/cases/tester-corpus.jsonl             158  0.92      0.78          0     0
    bench/cases/realworld-fresh.jsonl           105  0.98      0.91          0     0
    bench/cases/hunt-corpus.jsonl               163  0.95      0.79         10     0
      (the last nine on ../shared/corpus/nextjs-errors and angular-errors)

qa-cases to qa4-cases and tester-corpus were written by testers trying to break
the bot (tester-corpus and qa4 by one who had not read the matcher).
The realworld-proxy sets are real pastes from public bug reports about corpus
entries the real-world dev set does not cover, collected the way that set was,
by people who had not seen the matcher; realworld-check is a third such set,
from other threads, kept as a check: it is measured, not tuned on (it decided
one thing, that a person's description covering a twin page's title needs
BM25 to agree, which cost it two answers and removed its one wrong high).
realworld-fresh is a fourth, about 36 other entries, collected after every
number here was chosen and never tuned on. The hunt sets are a last tester's
attempt to make the bot speak out of turn, measured after four rules they
prompted; what they still find (docker status lines, terraform plan summaries,
other frameworks' hydration errors, the same message at another path) is
listed in the session note, not tuned away.
corpus-proxy and corpus-negatives are ours, also written without looking at
the matcher: pastes built from the frameworks' own message strings, and hard
negatives (talk that names entries, neighbouring tools' errors, near misses,
long logs, and a tester's false alarms). The real-paste sets have more
paraphrases than the dev set (13-22% of positives against 8%); most of what
they miss are people's own descriptions, and Angular messages from before the
codes that the pages never quote ("The selector "x" did not match any
elements", "Cannot instantiate cyclic dependency!").

The false alarms left on our own negatives are near misses from other stacks
that do not name themselves (Vue's hydration mismatch, a Go import cycle, a
bundler's circular import, a PostCSS version error, Node's "Cannot find
module") and docs links printed as warnings beside an uncovered failure
(NG0913, version staleness). A warning's docs link, or its words, do not
answer a paste whose failure is another error with a name of its own
("Error: connect ECONNREFUSED", "AxiosError", Prisma's "P1001") the entry
does not know. A line that names its tool ("[Vue warn]: ...")
the knowledge never mentions is not answered.

On the real-world set the best right answers score 0.5-1.0 and the highest
negative 0.50 (an undocumented NG code), so HIGH sits at 0.5 with the guards
in confidence.py; lowering it to 0.40-0.47 buys no recall on any set and
costs false alarms on the negatives.
"""

# Okapi BM25 over whole entries (index.py), blended into the order of the
# entries found: k1 and b are the textbook values.
BM25_K1 = 1.2
BM25_B = 0.75
# How much an entry's BM25, relative to the best candidate's, adds to its score
# when ordering near ties. It never raises confidence (see match.py). 0.2-0.5
# take top1 from 0.90 to 0.94 on the real-world dev set and from 0.84 to 0.89
# on qa; on the proxy set it costs one case (0.90 to 0.89) at any weight.
BM25_WEIGHT = 0.3
# How much the share of an entry's title that the paste says adds when
# ordering the same near ties. 0.15-0.3 take top1 from 0.94 to 0.98 on the
# real-world dev set, from 0.89 to 0.93 on the proxy set and from 0.89 to 1.00
# on qa, with no change in any set's channel recall or false alarms.
TITLE_TIE = 0.2
# ... and how much it adds for an entry matched on the earliest paste line
# among them: a log prints the cause first and its consequences after
# ("useSearchParams() should be wrapped in a suspense boundary" before "Error
# occurred prerendering page"). 0.05-0.2 take top1 on the real-world dev set
# from 0.98 to 1.00 and change nothing on the other sets.
ORDER_TIE = 0.1

# Below this an entry is not listed at all.
FLOOR = 0.12
# At or above this (and with MARGIN over the runner-up) a match is worth an
# unprompted channel reply.
HIGH = 0.5
# A paste that reports no problem (no error words, no trouble words) needs
# this much to get an unprompted reply anyway.
STRONG = 0.7
# ... and only on a stored line of this many words: a statement, not a name.
STATEMENT_WORDS = 3
# At or above this a match is shown when someone asks (slash command, lookup).
LOW = 0.25
# The lead the best entry needs over the next one to speak unprompted.
MARGIN = 0.1
# Two readings agree (match.py, _corroborated): a first entry that scores
# AGREE_MIN with AGREE_LEAD over the runner-up, whose words cover AGREE_KNOWN of
# the paste line and of its message clause, and whose BM25 over the whole entry
# is AGREE_BM25_RATIO times any other candidate's, counts as HIGH. It took
# channel_recall from 0.78 to 0.82 on the real-world dev set and from 0.71 to
# 0.73 on the proxy set with no new false alarm on any set; a ratio of 1.3 or a
# share of 0.4 answered a near miss on the team log (nginx "bind() ... failed"
# for the entry about another nginx [emerg]; "not authorized to perform" for
# another action).
AGREE_MIN = 0.24
AGREE_LEAD = 0.06
AGREE_BM25_RATIO = 1.5
AGREE_KNOWN = 0.5
# ... and, when the line that matched is a root cause's explanation or a title,
# the paste covers this share of it. On the team log, a short error that shares
# two words with a root cause ("Error: token rotated") was answered, and on the
# second team's log "ERROR: permission denied for table orders_order" by the
# title "Migration blocked by lock on orders table" (0.31); the corroborated
# root-cause and title lines of the corpus sets are covered 0.36-1.0. Lines of
# code (names in a root cause or fix) never corroborate. Together: 6 of the 17
# false alarms of qa3-cases and 3 of the second team's gone, no change on any
# other set.
AGREE_LINE_COVER = 0.35
# ... and the line shares at least this many words with the entry's line. A
# bare "Error: connect ECONNREFUSED 127.0.0.1:5432" was answered with a page
# that shares only "connect"; requiring two costs one answer on the Next.js
# proxy set (channel recall 0.81 to 0.80).
AGREE_SHARED = 2
# A paste line that covers this much of an entry's title names the problem:
# it counts as HIGH if it scores TITLE_MIN (margin and guards still apply).
# 0.7 takes channel_recall from 0.69 to 0.72 on the proxy set and from 0.68 to
# 0.74 on qa with no false alarm; at 0.6 the proxy set gets a confident wrong
# answer.
TITLE_COVER = 0.7
TITLE_MIN = 0.3
# The first entry after the near-tie order (match.py, _titled) may answer
# without a lead in score when the tool's message line says TITLE_SAID of its
# title (by weight) and says at most TITLE_SAID_RIVAL of the runner-up's: the
# title is what tells twin pages apart. Took channel_recall from 0.82 to 0.84
# on the real-world dev set and from 0.74 to 0.75 on the proxy set, with no
# false alarm on any set.
TITLE_SAID = 0.99
TITLE_SAID_RIVAL = 0.5

# Two messages of one error type ("TypeError: ...") are the same error at this
# rapidfuzz token_sort_ratio or more (masked: values do not count). "fetch
# failed" against "Failed to parse URL from <path>" is another error; 70 cost
# qa-cases two answers of the same message reworded by a newer version.
SAME_MESSAGE = 60

# An exact error code or docs link found on an error line.
IDENTIFIER_SCORE = 1.0
# Each further entry a paste names outright scores this much less.
IDENTIFIER_STEP = 0.15

# A stored line weighs at least this many average words, so that a one-word
# line ("AppModule") is not fully covered by any paste that says it.
MIN_LINE_WORDS = 3.0
# Share of the score that comes from how much of the whole paste an entry knows.
GLOBAL_WEIGHT = 0.25
# A stored error string of at least ALIGN_MIN_CHARS found in the paste with a
# rapidfuzz partial_ratio of ALIGN_MIN_RATIO or more; full credit from
# ALIGN_FULL_CHARS characters on.
ALIGN_MIN_CHARS = 16
ALIGN_MIN_RATIO = 90
ALIGN_FULL_CHARS = 40
# How much line coverage and paste coverage count in a pair's score.
LINE_EXP = 0.6
QUERY_EXP = 0.4
# A paste word the knowledge never uses weighs this fraction of the rarest word.
UNKNOWN_WORD_FACTOR = 0.5
# rapidfuzz ratio at which a paste word is taken for a vocabulary word, and the
# shortest paste word tried ("pager" must not become "page").
FUZZY_WORD = 86
FUZZY_MIN_LEN = 6

# Share of a paste line's score that comes from the entry's whole vocabulary
# rather than its single best line.
ENTRY_WORDS_WEIGHT = 0.3

# A message quoted with placeholders (`No provider for ${this}!`) found in the
# paste; it needs this many literal characters to count.
TEMPLATE_SCORE = 0.85
TEMPLATE_MIN_CHARS = 12
TEMPLATE_FULL_WORDS = 3

# Words that only occur in the leading clauses of an error chain ("Error
# response from daemon: failed to create task: ...") count this much.
CONTEXT_FACTOR = 0.75

# An unprompted answer needs a paste of at least this many distinct words
# ("terraform plan" alone is a topic, not an error).
MIN_PASTE_WORDS = 3
# A warning line matched, and the paste also reports a failure: the failure is
# this entry's only if the entry knows this share of one failing line's words.
FAILURE_KNOWN = 0.5
# A line that has less than MESSAGE_SHARE of the message clause's weight
# matches the context, not the error, and keeps CONTEXT_ONLY_FACTOR of its score.
MESSAGE_SHARE = 0.25
CONTEXT_ONLY_FACTOR = 0.6
