//! Judging free text the way an auditor reads it: does an answer say
//! something about this organisation, or only fill the field?
//!
//! Each judgement is a pure function of the text. They are heuristics, and
//! are tested as such: `tests/corpus/` holds answers from banks, hospitals,
//! councils, retailers and start-ups that an auditor rejects at once
//! (hollow) or accepts (genuine), written by people who had not seen this
//! code; every hollow answer must be caught and no genuine one. Where a
//! template can ask for a typed field instead (an objective's target value,
//! a competence's evidence type), the rules prefer the field.

/// Lower-case words of letters and digits (with inner apostrophes or
/// hyphens).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '’'))
        .map(|w| {
            w.trim_matches(|c: char| c == '\'' || c == '-' || c == '’')
                .replace('’', "'")
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether any needle occurs in `text` as a substring.
fn has_any(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// Whether any phrase occurs in `text` starting at a word boundary; it may
/// end inside a word, so "attend" finds "attended" but "test" does not find
/// "attestation".
fn has_word(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| {
        text.match_indices(p).any(|(i, _)| {
            text[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    })
}

// ---------------------------------------------------------------------------
// SoA exclusions

/// Words that carry no reason of their own in an exclusion.
#[rustfmt::skip]
const FILLER: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "is", "are", "be", "been",
    "was", "were", "to", "of", "for", "in", "on", "at", "by", "with", "and", "or", "as", "we",
    "our", "us", "not", "no", "n", "any", "all", "there", "currently", "present", "time",
    "moment", "now", "applicable", "apply", "applies", "relevant", "relevance", "required",
    "requirement", "requirements", "necessary", "needed", "need", "scope", "out", "control",
    "controls", "excluded", "exclude", "exclusion", "management", "decision", "decided",
    "consider", "considered", "business", "organisation", "organization", "company", "context",
    "case", "identified", "deemed", "appropriate", "per", "based", "assessment", "review",
    "reviewed", "will", "would", "may", "might", "can", "does", "do", "doesn't", "don't", "has",
    "have", "had", "yet", "further", "future", "later", "date", "revisit", "revisited", "given",
    "nature", "type", "operations", "operation", "activities", "activity", "area", "areas",
    "use", "used", "using", "annex", "iso", "iec", "standard", "aims", "ai", "system",
    "systems", "which", "what", "so", "therefore", "hence", "thus", "because", "since", "due",
    "also", "only", "just", "simply", "fully", "entirely", "really", "very", "such", "other",
    "reason", "reasons", "basis", "purpose", "purposes", "s", "t", "unless", "until", "then",
    "than", "when", "where", "if", "within", "from", "into", "about", "over", "under", "more",
    "less", "same", "own", "set", "place", "out-of-scope", "non-applicable", "na", "tbd",
    "policy", "policies", "level", "senior", "team", "teams", "board", "approved", "approval",
];

/// Phrases that only restate that the control is excluded.
#[rustfmt::skip]
const RESTATEMENTS: &[&str] = &[
    "does not apply", "do not apply", "doesn't apply", "don't apply", "is not applicable",
    "are not applicable", "not applicable", "does not need", "do not need", "is not needed",
    "is not required", "not required", "not necessary", "not relevant", "no need",
    "do not consider", "does not consider", "does not fit", "no requirement", "not in scope",
    "does not require", "do not require", "doesn't require", "not needed",
];

/// Words that negate or restrict what the organisation does.
#[rustfmt::skip]
const NEGATIONS: &[&str] = &[
    "not", "never", "no", "none", "only", "nor", "neither", "without", "don't", "doesn't",
    "didn't", "isn't", "aren't", "won't", "cannot", "can't", "bars", "barred", "prohibits",
    "sealed", "locked", "unmodified", "solely", "exclusively", "nothing",
];

/// Stems of words for the organisation's own AI activities, where a fact
/// that leaves a control nothing to act on is found.
#[rustfmt::skip]
const AI_ACTIVITY: &[&str] = &[
    "model", "train", "retrain", "fine-tun", "dataset", "data", "vendor", "supplier",
    "manufacturer", "provider", "api", "licen", "lease", "third-part", "in-house", "deploy",
    "develop", "build", "built", "sys-", "algorithm", "inference", "saas", "modif", "label",
    "image", "imagery", "record", "output", "decision", "individual", "person", "people",
    "customer", "patient", "user", "rsk-", "aia-", "ram-", "sco-", "release", "sell", "supply",
    "provide", "distribut", "procure", "buy", "bought", "host", "operat", "off-the-shelf",
    "open-source", "generat", "predict", "score", "classif", "automat", "chatbot", "llm",
];

/// Ways of buying or hosting that are themselves a fact about the system.
#[rustfmt::skip]
const SOURCING: &[&str] = &[
    "we buy", "we procure", "off-the-shelf", "saas", "is provided by", "are provided by",
    "hosted by", "offered by", "leased", "licensed from", "run entirely by", "operated by",
];

/// Reasons that would excuse any control: size, cost, staff, what others
/// do or require, the law's minimum, reassurance.
#[rustfmt::skip]
const GENERIC_REASONS: &[&str] = &[
    "small ", "budget", "resources", " cost", "expensive", "have the staff", "enough staff",
    "staffing", "headcount", "capacity",
    "disproportionate", "competitor", "customers require", "customer requires", "by law",
    "legal", "regulation", "regulated", "regulator", "article ", " act ", "industry practice",
    "nobody", "low risk", "low-risk", "seriously", "responsibly", "well governed",
    "well-governed",
];

/// Phrases that hand the control to someone or something else: then the
/// control applies, and is met that way.
#[rustfmt::skip]
const DELEGATION: &[&str] = &[
    "handled by", "covered by", "already covered", "taken care of", "managed by",
    "dealt with by", "responsibility of", "addressed by", "addressed in", "covered in",
];

/// Stems of words for the AI technology itself (not the people it
/// serves), for the stricter reading beside a generic reason.
#[rustfmt::skip]
const AI_TECH: &[&str] = &[
    "model", "train", "retrain", "fine-tun", "dataset", "data", "vendor", "supplier",
    "manufacturer", "api", "in-house", "deploy", "develop", "build", "built", "sys-",
    "algorithm", "inference", "saas", "modif", "output", "generat", "predict", "classif",
    "chatbot", "llm",
];

/// Words for the organisation itself: a fact about it, not about others.
#[rustfmt::skip]
const FIRST_PERSON: &[&str] = &[
    "we", "our", "us", "ours", "council", "company", "firm", "organisation", "organization",
    "hospital", "bank", "agency", "practice", "school", "university", "authority",
];

/// Whether the text states what the organisation does or does not do with
/// AI: a negation or restriction within a few words of an AI activity
/// ("we never train models", "only calls the vendor's API"), or a way of
/// buying it ("off-the-shelf", "leased"). `strict` reading: the negation
/// sits within four words of the technology (not the people it serves)
/// and of "we", "our" or the organisation.
fn own_fact(lower: &str, strict: bool) -> bool {
    let window = if strict { 4 } else { 8 };
    let w = words(lower);
    let near = |i: usize, set: &dyn Fn(&str) -> bool| {
        let from = i.saturating_sub(window);
        let to = (i + window + 1).min(w.len());
        w[from..to].iter().any(|x| set(x))
    };
    let stems = if strict { AI_TECH } else { AI_ACTIVITY };
    let activity = |x: &str| stems.iter().any(|s| x.starts_with(s));
    let person = |x: &str| FIRST_PERSON.contains(&x);
    let negated = w.iter().enumerate().any(|(i, x)| {
        NEGATIONS.contains(&x.as_str()) && near(i, &activity) && (!strict || near(i, &person))
    });
    negated || !strict && has_any(lower, SOURCING)
}

/// Why an SoA exclusion justification is hollow, or None when it gives a
/// reason tied to the organisation: a fact about its own AI systems or
/// activities (what it does not build, supply or use, and so why the
/// control has nothing to act on), not a restatement that the control does
/// not apply, a reason that would excuse any control, or a pointer to
/// someone else who handles it.
pub fn hollow_exclusion(text: &str) -> Option<&'static str> {
    let mut lower = format!(" {} ", text.to_lowercase().replace('’', "'"));
    // "It does not apply" restates the exclusion; it is not a fact.
    for restatement in RESTATEMENTS {
        lower = lower.replace(restatement, " ");
    }
    let fact = own_fact(&lower, false);
    let content = words(&lower)
        .into_iter()
        .filter(|w| w.len() > 2 && !FILLER.contains(&w.as_str()))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .count();
    if content < if fact { 3 } else { 5 } {
        return Some("it only says the control does not apply, not why");
    }
    if has_any(&lower, GENERIC_REASONS) && !own_fact(&lower, true) {
        return Some(
            "it gives a reason of size, cost, demand, law or reassurance that would excuse any control, not a fact about the organisation's own AI systems",
        );
    }
    if has_any(&lower, DELEGATION) && !fact {
        return Some(
            "it says the control is handled elsewhere, which means it applies: include it and name how it is met",
        );
    }
    if !fact {
        return Some(
            "it gives no fact about the organisation's own AI systems or activities that makes the control unnecessary",
        );
    }
    None
}

// ---------------------------------------------------------------------------
// Numbers

#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june",
    "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov",
    "november", "dec", "december",
];

/// Words after which a number names something (a version, a clause, a
/// page, a standard, a meeting's attendance) rather than measuring it.
#[rustfmt::skip]
const NAMING: &[&str] = &[
    "version", "v", "rev", "revision", "release", "clause", "clauses", "section", "sections",
    "page", "pages", "p", "pp", "slide", "slides", "item", "items", "no", "nr", "number",
    "issue", "annex", "appendix", "table", "figure", "iso", "iec", "iso/iec", "rmf", "sprint",
    "wave", "phase", "stage", "step", "room", "meeting", "minute", "minutes", "agenda",
    "chapter", "paragraph", "para", "art", "article", "build", "ticket", "report", "record",
    "ref", "reference", "week", "weeks", "attendees", "participants", "present", "vorgabe",
    "code", "account", "licence", "license", "policy", "standard", "level", "tier",
];

/// Words before a number that make it the size of a scope ("all 4
/// regions", "its 4 meetings"), not a level.
const SCOPE: &[&str] = &["all", "its", "our", "their", "his", "her", "these", "those"];

/// Prepositions after which a short day/month ("12/05") is a date.
const DATE_PREPOSITIONS: &[&str] = &[
    "on", "from", "dated", "since", "until", "till", "by", "of", "before", "after",
];

/// Whether one token, with its neighbours, is a date, a year, a period, a
/// time of day, an id, a version, a clause number or a name's number
/// rather than a quantity.
fn not_a_quantity(t: &str, before: Option<&str>, after: Option<&str>) -> bool {
    let lower = t.to_lowercase();
    let before = before.map(|b| b.trim_end_matches(['.', ':', '#', ',']).to_lowercase());
    let digits: String = lower.chars().filter(|c| c.is_ascii_digit()).collect();
    let all = |s: &str, f: fn(char) -> bool| !s.is_empty() && s.chars().all(f);
    let is_month = |w: Option<&str>| {
        w.is_some_and(|w| MONTHS.contains(&w.trim_end_matches(['.', ',']).to_lowercase().as_str()))
    };
    let numeric = |s: &str| all(s, |c| c.is_ascii_digit() || matches!(c, '-' | '/' | '.'));
    // Years 2026, 1990s, '26.
    let is_year = digits.len() == 4
        && (digits.starts_with("19") || digits.starts_with("20"))
        && all(&lower, |c| c.is_ascii_digit() || matches!(c, 's' | '\''));
    // Dates 2026-10-01, 01/10/2026, 03.05.2026, 2026/10; 12/05 after "on".
    let parts = lower.split(['-', '/', '.']).count();
    let is_date = numeric(&lower)
        && parts >= 2
        && (digits.len() >= 6 && lower.split(['-', '/', '.']).any(|p| p.len() == 4)
            || parts == 2
                && digits.len() <= 4
                && lower.contains('/')
                && before
                    .as_deref()
                    .is_some_and(|b| DATE_PREPOSITIONS.contains(&b)));
    // Day of a month: "31 December", "May 3", "3rd of May".
    let day = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let is_day = all(day, |c| c.is_ascii_digit())
        && day.len() <= 2
        && (is_month(before.as_deref())
            || is_month(after)
            || after.is_some_and(|a| a.eq_ignore_ascii_case("of")))
        || ["st", "nd", "rd", "th"]
            .iter()
            .any(|s| lower.ends_with(s) && all(&lower[..lower.len() - 2], |c| c.is_ascii_digit()));
    // Times of day 14:00, 9:30am, and ranges 10:30-11:15.
    let is_time = lower.contains(':')
        && lower.split(['-', '–']).all(|part| {
            part.trim_end_matches(['a', 'p', 'm', 'h'])
                .split(':')
                .all(|p| all(p, |c| c.is_ascii_digit()))
        });
    // Periods Q3, H1, T3, S2, FY2026/27, W12; round the clock 24/7.
    let is_period = ["q", "h", "t", "s", "fy", "w", "cw", "wk", "kw"]
        .iter()
        .any(|p| {
            lower
                .strip_prefix(p)
                .is_some_and(|r| all(r, |c| c.is_ascii_digit() || matches!(c, '-' | '/')))
        })
        || matches!(lower.as_str(), "24/7" | "24x7" | "365");
    // Ids ABC-123, NC-2026-07, POL-HR-011, 000-039221-R-319876.
    let is_id = lower.contains('-')
        && lower
            .split('-')
            .any(|p| all(p, |c| c.is_ascii_alphabetic()))
        && lower
            .split('-')
            .all(|p| all(p, |c| c.is_ascii_alphanumeric()));
    let is_version = lower
        .strip_prefix('v')
        .is_some_and(|r| all(r, |c| c.is_ascii_digit() || c == '.'));
    // Clause and control numbers 9.3.2, A.5.2 (two-part 9.3 only after
    // "clause", below), and standards' numbers with their year 42001:2023.
    let is_clause = lower
        .strip_prefix("a.")
        .is_some_and(|r| all(r, |c| c.is_ascii_digit() || c == '.'))
        || lower.contains('.')
            && all(&lower, |c| c.is_ascii_digit() || c == '.')
            && lower.split('.').count() >= 3
            && lower.split('.').all(|p| !p.is_empty() && p.len() <= 2);
    let named = before.as_deref().is_some_and(|b| {
        NAMING.contains(&b) || b.ends_with("iso") || b.ends_with("iec") || SCOPE.contains(&b)
    }) || lower.starts_with('#');
    is_year
        || is_date
        || is_day
        || is_time
        || is_period
        || is_id
        || is_version
        || is_clause
        || named
}

/// Nouns no number measures ("100% commitment").
const ABSTRACT: &[&str] = &[
    "commitment",
    "effort",
    "dedication",
    "focus",
    "support",
    "passion",
    "engagement",
];

/// The numbers in a text that are quantities, not dates, years, quarters,
/// times, ids, versions, page, clause or list numbers.
pub fn quantities(text: &str) -> Vec<String> {
    // A numbered list's markers ("1. Status of actions") count nothing.
    let text: String = text
        .lines()
        .map(|line| {
            let rest = line.trim_start();
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            match rest[digits..].chars().next() {
                Some('.' | ')') if digits > 0 && rest[digits + 1..].starts_with(' ') => {
                    &rest[digits + 1..]
                }
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let tokens: Vec<&str> = text
        .split(|c: char| {
            c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '|' | '"' | '[' | ']')
        })
        .map(|raw| raw.trim_matches(|c: char| matches!(c, '.' | ':' | '*' | '`' | '_' | '\'')))
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = Vec::new();
    // The last number, if it named something: "pages 4 to 19", "phase 2 of
    // 3", "weeks 14 - 26" name the second number too.
    let mut named_before: Option<usize> = None;
    for (i, t) in tokens.iter().enumerate() {
        if !t.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let before = i.checked_sub(1).map(|j| tokens[j]);
        let after = tokens.get(i + 1).copied();
        let range = named_before.is_some_and(|j| {
            j + 2 == i
                && before.is_some_and(|b| {
                    matches!(
                        b.to_lowercase().as_str(),
                        "to" | "of" | "and" | "-" | "–" | "or" | "through"
                    )
                })
        });
        let slogan = after.is_some_and(|a| ABSTRACT.contains(&a.to_lowercase().as_str()));
        if range || not_a_quantity(t, before, after) {
            named_before = Some(i);
        } else if !slogan {
            out.push((*t).to_owned());
        }
    }
    out
}

/// Numbers written out.
#[rustfmt::skip]
const NUMBER_WORDS: &[&str] = &[
    "zero", "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred", "thousand",
    "dozen", "half",
];

// ---------------------------------------------------------------------------
// Objectives

/// Words that describe a direction or wish, not a level.
#[rustfmt::skip]
const VAGUE: &[&str] = &[
    "improve", "improved", "improvement", "increase", "increased", "better", "enhance",
    "enhanced", "ensure", "maintain", "high", "higher", "robust", "best", "best-in-class",
    "appropriate", "adequate", "reasonable", "optimal", "optimise", "optimize", "strengthen",
    "reduce", "reduced", "minimise", "minimize", "maximise", "maximize", "good", "excellent",
    "world-class", "continuous", "continually", "strong", "stronger", "effective", "efficient",
    "responsible", "trustworthy", "satisfactory", "acceptable", "sufficient", "embed",
    "culture", "aware", "awareness",
];

/// Comparatives that point a way without saying how far, once the
/// comparators that do set a level ("no more than") are set aside.
const COMPARATIVES: &[&str] = &[
    "more", "less", "better", "greater", "higher", "lower", "fewer", "faster", "safer",
];

/// Comparators that set a level.
#[rustfmt::skip]
const COMPARATORS: &[&str] = &[
    "no more than", "not more than", "no less than", "not less than", "no fewer than",
    "fewer than", "more than", "less than", "greater than", "higher than", "lower than",
    "at least", "at most", "under", "below", "above", "over", "within", "maximum", "minimum",
    "max", "min", "<", ">", "≤", "≥", "=", "up to", "or better", "or more", "or less",
    "or higher", "or lower", "or above", "or below", "or fewer",
];

/// Phrases that take the level out of a target.
#[rustfmt::skip]
const HEDGES: &[&str] = &[
    "as far as", "practicable", "where possible", "where appropriate", "as appropriate",
    "if possible", "should ", "strive", "aim to", "endeavour", "endeavor", "in line with",
    "in accordance with", "according to", "aligned with", "as per ", "at some point",
];

/// Words for a countable outcome without a digit.
#[rustfmt::skip]
const COUNT_WORDS: &[&str] = &[
    "zero", "none", "nil", "no", "all", "every", "each", "one", "two", "three", "four", "five",
    "six", "seven", "eight", "nine", "ten", "twelve", "twenty", "fifty", "half", "hundred",
    "percent", "per cent",
];

/// Qualities that no "all" or "every" makes countable ("all decisions
/// fair").
#[rustfmt::skip]
const QUALITIES: &[&str] = &[
    "fair", "fairness", "unbiased", "bias-free", "transparent", "transparency", "ethical",
    "explainable", "explainability", "trustworthy", "responsible", "safe", "secure",
];

/// Relative targets against a baseline.
const RELATIVE: &[&str] = &[
    "halve", "halved", "double", "doubled", "triple", "tripled", "by half",
];

/// Why an objective's metric and target are not measurable, or None: a
/// target needs a quantity, a threshold or a countable outcome (a number
/// that is not a date, scope or name; or "zero", "nine in ten", "fewer than
/// fifty", "halve"). Words such as "improve" or "more" are a direction, not
/// a target; a hedge ("as far as practicable", "in line with") takes the
/// level out.
pub fn unmeasurable(metric: &str, target: &str) -> Option<&'static str> {
    let mut t = format!(" {} ", target.to_lowercase().replace("at all times", ""));
    let hedged = has_any(&t, HEDGES);
    let comparator = has_any(&t, COMPARATORS);
    for c in COMPARATORS {
        t = t.replace(c, " ");
    }
    let w = words(&t);
    let direction = w.iter().any(|x| COMPARATIVES.contains(&x.as_str()));
    let vague = direction
        || w.iter().any(|x| VAGUE.contains(&x.as_str()))
        || words(metric).iter().any(|x| VAGUE.contains(&x.as_str()));
    let numbers = quantities(target);
    // A number with a unit, a percentage or a comparator is a level; a bare
    // number beside a wish ("improved, according to spec 3.1") is not.
    let levelled = !numbers.is_empty()
        && (!(hedged || direction) || comparator || numbers.iter().any(|n| n.contains('%')));
    // Counts in words: "zero in 2026", "nine in ten", "fewer than fifty",
    // "every model by March", "halve the rate against the baseline".
    let absolute = w
        .iter()
        .any(|x| matches!(x.as_str(), "zero" | "none" | "nil"));
    let ratio = w.windows(3).any(|x| {
        NUMBER_WORDS.contains(&x[0].as_str())
            && (x[1] == "in" || x[1] == "out")
            && (NUMBER_WORDS.contains(&x[2].as_str()) || x[2] == "of")
    });
    let quality = w.iter().any(|x| QUALITIES.contains(&x.as_str()));
    let counted = w.iter().any(|x| COUNT_WORDS.contains(&x.as_str()))
        && !quality
        && (comparator
            || has_any(
                &t,
                &[
                    " of ",
                    " per ",
                    "%",
                    " by ",
                    " before ",
                    " within ",
                    " than ",
                    " at each ",
                    " at every ",
                    " in each ",
                    " in every ",
                    " each month",
                    " each quarter",
                    " each year",
                ],
            ));
    let relative = has_word(&t, RELATIVE);
    let worded = (absolute || ratio || counted || relative) && !hedged && !direction;
    if levelled || numbers.is_empty() && worded {
        return None;
    }
    Some(if vague {
        "the target states a direction (improve, increase, more...), not a level that can be checked"
    } else {
        "the target names no quantity, threshold or countable outcome"
    })
}

// ---------------------------------------------------------------------------
// Competence

/// Evidence that shows attendance, completion or opinion.
#[rustfmt::skip]
const WEAK_EVIDENCE: &[&str] = &[
    "attend", "completed", "completion", "complete the", "finished", "watched", "webinar",
    "e-learning", "elearning", "online course", "read the", "has read", "have read",
    "acknowledg", "signed", "self-assess", "self assess", "self-declar", "self declar",
    "self-certif", "self-rated", "self rated", "opinion", "impression", "experienced",
    "years of experience", "years in", "familiar", "awareness session", "induction", "briefing",
    "participat", "enrolled", "registered", "went to", "sat through", "took part", "presence",
    "cv ", "resume", "résumé",
];

/// Evidence of an assessment still to come.
#[rustfmt::skip]
const PENDING: &[&str] = &[
    "enrolled", "enrolment", "enrollment", "registered for", "scheduled", "booked", "will sit",
    "will take", "will attend", "will complete", "to sit", "planned for", "due to sit",
    "in progress", "ongoing", "pending", "awaiting",
];

/// Evidence that shows competence was assessed.
#[rustfmt::skip]
const STRONG_EVIDENCE: &[&str] = &[
    "exam", "test", "score", "pass mark", "passed", "marked", "graded", "grade", "observed",
    "observation", "supervised", "supervision", "assessor", "assessed by", "assessment by",
    "evaluated by", "reviewed by", "peer review", "peer-review", "qualification", "qualified",
    "accredited", "chartered", "licensed", "certification", "certified", "practical",
    "case study", "simulation", "audited", "sign-off", "signed off", "signs off", "checked by",
    "competency check", "work sample", "portfolio", "judged", "reviewed against",
    "evaluated against", "assessed against", "sample of", "quiz", "threshold", "code review",
    "review of his", "review of her", "review of their", "reviewed his", "reviewed her",
    "reviewed their", "criteria", "degree", "msc", "bsc", "phd", "mba", "diploma",
    "university", "checked against", "verified against",
];

/// Why a competence evaluation's words do not show competence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// The assessment is still to come (enrolled, scheduled).
    Pending,
    /// The words describe attendance, completion, reading or self-declaration.
    Attendance,
    /// The words name no assessment at all; a typed `evidence-type` can
    /// supply what they leave out.
    Unstated,
}

/// How a competence evaluation's words fall short, or None when they
/// describe an assessment: attendance, completion, reading,
/// self-declaration and opinion are weak whatever the wording; assessed
/// results, supervised or observed practice, recognised qualifications and
/// peer-reviewed work are strong.
pub fn evidence_weakness(text: &str) -> Option<Weakness> {
    let t = text
        .to_lowercase()
        .replace("certificate of attendance", "attendance")
        .replace("certificate of completion", "completion")
        .replace("completion certificate", "completion")
        .replace("attendance certificate", "attendance")
        .replace("self-assessment", "self-assess")
        .replace("self assessment", "self-assess");
    if has_word(&t, PENDING) && !has_word(&t, &["passed", "obtained", "awarded", "achieved"]) {
        return Some(Weakness::Pending);
    }
    let self_declared = has_word(
        &t,
        &[
            "self-assess",
            "self-rated",
            "self rated",
            "self-declar",
            "self-certif",
        ],
    );
    if has_word(&t, STRONG_EVIDENCE) && !self_declared {
        return None;
    }
    if has_word(&t, WEAK_EVIDENCE) {
        return Some(Weakness::Attendance);
    }
    Some(Weakness::Unstated)
}

/// Why a competence evaluation is weak evidence, or None.
pub fn weak_evidence(text: &str) -> Option<&'static str> {
    match evidence_weakness(text)? {
        Weakness::Pending => Some(
            "the assessment has not happened yet: enrolment or a scheduled exam is not evidence",
        ),
        Weakness::Attendance => {
            Some("it shows attendance, completion, reading or self-declaration, not competence")
        }
        Weakness::Unstated => {
            Some("it names no assessed result, supervised practice or qualification")
        }
    }
}

// ---------------------------------------------------------------------------
// Management review

/// Things a review counts.
#[rustfmt::skip]
const OUTCOMES: &[&str] = &[
    "incident", "complaint", "error", "breach", "finding", "nonconformit", "nonconformance",
    "override", "failure", "case", "request", "alert", "escalation", "appeal", "deviation",
    "near-miss", "near miss", "outage", "defect", "objection", "claim", "recall",
    "percent", "per",
];

/// Whether a text carries performance figures: a quantity that is not a
/// date, year, quarter, id, version or name's number, or a count in words
/// ("zero incidents", "two complaints", "nine out of ten", "Incidents:
/// none").
pub fn has_figures(text: &str) -> bool {
    if !quantities(text).is_empty() {
        return true;
    }
    text.lines().any(|line| {
        let w = words(line);
        let outcome = |i: usize| {
            w.get(i)
                .is_some_and(|n| OUTCOMES.iter().any(|o| n.starts_with(o)))
        };
        let in_words = w.iter().enumerate().any(|(i, word)| {
            NUMBER_WORDS.contains(&word.as_str())
                && (outcome(i + 1)
                    || outcome(i + 2)
                    || w.get(i + 1).is_some_and(|n| n == "out" || n == "in")
                        && w.get(i + 2)
                            .is_some_and(|n| n == "of" || NUMBER_WORDS.contains(&n.as_str())))
        });
        // "Incidents: none" is a value; "Incidents: none significant" is not.
        let labelled = line.split_once(':').is_some_and(|(label, value)| {
            let value = value.trim().trim_end_matches('.').to_lowercase();
            matches!(value.as_str(), "none" | "nil" | "zero")
                && OUTCOMES.iter().any(|o| label.to_lowercase().contains(o))
        });
        in_words || labelled
    })
}

/// Placeholders that record no decision or action.
#[rustfmt::skip]
const PLACEHOLDERS: &[&str] = &[
    "none", "no actions", "no action", "nothing", "n/a", "na", "tbd", "tbc", "to be decided",
    "to be confirmed", "to be defined", "todo", "...", "…", "discussed", "noted", "none noted",
    "none identified", "no decisions", "no decision", "continue as is", "continue as before",
    "no change", "no changes", "as above", "see above", "see below", "see minutes", "ok",
    "fine", "agreed", "as discussed",
];

/// The words of meeting procedure, which decide nothing by themselves.
#[rustfmt::skip]
const PROCEDURE: &[&str] = &[
    "follow", "up", "follow-up", "items", "item", "points", "point", "matters", "matter",
    "discussed", "discussion", "noted", "note", "agreed", "agree", "next", "meeting",
    "minutes", "actions", "action", "open", "owner", "due", "see", "above", "below",
    "consider", "considered", "improvements", "improvement", "where", "appropriate",
    "necessary", "needed", "monitor", "monitored", "keep", "kept", "continue", "ongoing",
    "tbd", "tbc", "pending", "relevant", "parties", "raised", "taken", "take", "forward",
    "look", "into", "progress", "update", "updates", "status", "presented", "reviewed",
    "results", "agenda", "owners", "participants", "attendees", "members", "acknowledged",
    "acknowledge", "report", "received", "monitoring", "situation", "topics", "topic",
    "decided", "work", "remains", "remain", "still", "observed", "further",
];

/// Conclusions that change nothing.
#[rustfmt::skip]
const STANDSTILL: &[&str] = &[
    "without change", "no change", "unchanged", "as is", "as before", "remains suitable",
    "remain suitable", "as intended", "is satisfied", "are satisfied", "keep the present",
    "keep the current", "in place", "good work", "remains effective", "remain effective",
    "fit for purpose", "still suitable", "taken note", "take note", "be observed",
    "be monitored", "remains open", "remain open",
];

/// Wishes and intentions to look at something, with nobody to act.
#[rustfmt::skip]
const WISHES: &[&str] = &[
    "should ", "encourage", "be considered", "to be explored", "would like", "at some point",
    "look into", "in due course", "eventually", "to review the", "to consider", "to discuss",
    "to look at", "to explore",
];

/// Whether a decision or action is only a placeholder: nothing decided.
pub fn placeholder(text: &str) -> bool {
    let mut t = text.trim().to_lowercase();
    // List markers, checkboxes and a leading label ("Actions: see above").
    loop {
        let before = t.len();
        t = t
            .trim_start_matches(|c: char| {
                c.is_ascii_digit() || matches!(c, '.' | '-' | '*' | '+' | ')' | ' ')
            })
            .to_owned();
        for mark in ["[ ]", "[x]"] {
            if let Some(rest) = t.strip_prefix(mark) {
                t = rest.to_owned();
            }
        }
        for label in [
            "decisions:",
            "decision:",
            "actions:",
            "action:",
            "outcome:",
            "outcomes:",
        ] {
            if let Some(rest) = t.strip_prefix(label) {
                t = rest.to_owned();
            }
        }
        if t.len() == before {
            break;
        }
    }
    let t = t.trim().trim_end_matches(['.', '!']).trim();
    let bracketed = t.starts_with('[') && t.ends_with(']');
    if t.is_empty() || t.starts_with("replace:") || t.starts_with("[insert") || bracketed {
        return true;
    }
    if PLACEHOLDERS.contains(&t) {
        return true;
    }
    // "Continue as is for X, but Y must..." decides Y.
    let conditional = has_any(
        t,
        &[" but ", " only after", " unless ", " until ", " except "],
    );
    let empty_start = [
        "no action",
        "no change",
        "no decision",
        "no further",
        "nothing",
        "none",
        "continue as",
        "tbd",
        "n/a",
    ]
    .iter()
    .any(|p| t.starts_with(p));
    if empty_start && !conditional {
        return true;
    }
    // What is left once the words of meeting procedure are set aside: a
    // decision names something to change, stop, fund, accept or do.
    let substance = words(t)
        .into_iter()
        .filter(|w| {
            w.len() > 2 && !FILLER.contains(&w.as_str()) && !PROCEDURE.contains(&w.as_str())
        })
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .count();
    if substance < 2 {
        return true;
    }
    // A conclusion that changes nothing, or a wish with nobody to act on
    // it, unless made conditional on something to do.
    let standstill = has_any(t, STANDSTILL);
    let wish = has_any(t, WISHES);
    (standstill || wish) && !conditional && !has_any(t, &["owner", " by "])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_not_dates_ids_or_names() {
        assert!(
            quantities(
                "Q3 2026, see REC-017, clause 9.3 and A.5.2 on 2026-10-01 (v1.2), 3rd of May, \
                 14:00-15:30, pages 4 to 19, ISO/IEC 27001, 24/7, T3, all 4 regions"
            )
            .is_empty()
        );
        assert_eq!(
            quantities("94.1% against 93%, 3 incidents"),
            ["94.1%", "93%", "3"]
        );
    }

    #[test]
    fn word_boundaries() {
        assert!(has_word("passed the test", &["test"]));
        assert!(!has_word("attestation of presence", &["test"]));
        assert!(has_word("attended twice", &["attend"]));
    }
}
