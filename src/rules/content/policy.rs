//! The AI policy (5.2, A.2.2).

use super::*;

rule!(POLICY_MISSING, "ISO003", "ai-policy-missing", Some("5.2"), Some("A.2.2"), Major,
    summary: "There is no AI policy",
    what: "The AIMS needs an AI policy: a document of kind `policy` that cites clause 5.2 (or, when no policy cites it, the only policy there is).",
    why: "Clause 5.2 requires top management to establish an AI policy. Its absence is a major nonconformity: the certificate is withheld until it exists.",
    fix: "Create it with `aims new policy`, cite clause 5.2, reference the scope, state the commitments, say how it is communicated, and have top management approve it.");

rule!(POLICY_INADEQUATE, "ISO004", "ai-policy-inadequate", Some("5.2"), Some("A.2.2"), Major,
    summary: "The AI policy lacks what clause 5.2 asks of it",
    what: "The AI policy must reference the AIMS scope (`scope`), state commitments (a Commitments section covering applicable requirements, continual improvement and responsible, human-centred AI), say how it is communicated (`communicated-via` or a Communication section), and be about AI: a policy with no AI-specific content and no link to the AI systems or objectives is a recycled security or privacy policy.",
    why: "Auditors read the policy line by line against 5.2. A recycled policy with \"AI\" swapped in, or an aspirational one with no link to actual systems and objectives, is the most common cause of a major nonconformity on this clause.",
    fix: "Rewrite the missing parts: reference the scope document, add a Commitments section that names the three commitments, list the communication channels in `communicated-via`, and tie the policy to the AI systems and objectives it governs by id.");

rule!(POLICY_NOT_TOP_MANAGEMENT, "ISO005", "ai-policy-not-top-management", Some("5.2"), Some("A.2.2"), Major,
    summary: "The AI policy in force is not approved by top management",
    what: "The AI policy's content in force must carry an approval, verified from a signed tag, by a member of the `top-management` role.",
    why: "Clause 5.2 makes the AI policy top management's own statement. A policy approved only by a manager, or not at all, is not evidence of top management's direction, whatever the document says.",
    fix: "Have a member of `top-management` review the policy and run `aims approve POL-ID` (see `aims status` for what is in force).");

/// Words that only an AI policy would use; a recycled security policy has
/// none of them.
const AI_TERMS: &[&str] = &[
    "model",
    "fairness",
    "bias",
    "human oversight",
    "human review",
    "explainab",
    "transparen",
    "impact assessment",
    "training data",
    "automated decision",
    "machine learning",
    "human-centred",
    "human-centered",
    "responsible ai",
    "generative",
];

fn the_ai_policy(ws: &Workspace) -> Option<&Document> {
    let policies = of_kind(ws, Kind::Policy);
    policies
        .iter()
        .find(|d| strings(&d.frontmatter, "clauses").contains(&"5.2"))
        .or_else(|| (policies.len() == 1).then(|| &policies[0]))
        .copied()
}

pub(super) fn check(cx: &mut Ctx) {
    let Some(p) = the_ai_policy(cx.ws) else {
        cx.out.push(
            Finding::new(
                &POLICY_MISSING,
                "no AI policy: no document of kind `policy` cites clause 5.2",
            )
            .help("`aims new policy`, then cite clause 5.2"),
        );
        return;
    };
    let pid = id(p);
    let body = lower(p.body());
    if text(&p.frontmatter, "scope").is_none() {
        cx.out.push(at(
            &POLICY_INADEQUATE,
            p,
            "scope",
            format!("{pid} does not reference the AIMS scope (`scope`)"),
        ));
    }
    if !p.has_section("Commitments") {
        cx.out.push(at(
            &POLICY_INADEQUATE,
            p,
            "id",
            format!("{pid} states no commitments (no Commitments section)"),
        ));
    } else {
        let missing: Vec<&str> = [
            ("applicable requirements", &["requirement"][..]),
            (
                "continual improvement",
                &["continual improvement", "continuous improvement", "improve"][..],
            ),
            (
                "responsible, human-centred AI",
                &["responsible", "human-centred", "human-centered"][..],
            ),
        ]
        .into_iter()
        .filter(|(_, words)| !words.iter().any(|w| body.contains(w)))
        .map(|(what, _)| what)
        .collect();
        if !missing.is_empty() {
            cx.out.push(at(
                &POLICY_INADEQUATE,
                p,
                "id",
                format!("{pid} does not commit to {}", list(&missing)),
            ));
        }
    }
    let communicated =
        !strings(&p.frontmatter, "communicated-via").is_empty() || p.has_section("Communication");
    if !communicated {
        cx.out.push(
            at(
                &POLICY_INADEQUATE,
                p,
                "id",
                format!("{pid} does not say how it is communicated (`communicated-via` or a Communication section)"),
            )
            .classified(Classification::Minor),
        );
    }
    let ai_words = AI_TERMS.iter().filter(|w| body.contains(*w)).count();
    let linked = cx.index.values().any(|d| {
        matches!(d.kind(), Some(Kind::AiSystem | Kind::Objective))
            && d.id().is_some_and(|i| p.source.contains(i))
    });
    if ai_words < 2 && !linked {
        cx.out.push(at(
            &POLICY_INADEQUATE,
            p,
            "title",
            format!("{pid} reads as a recycled security or privacy policy: no AI-specific content and no link to the AI systems or objectives"),
        ));
    }
    let Some(register) = cx.register else { return };
    let Some(entry) = register.entry(pid) else {
        return;
    };
    let approvals = in_force(entry);
    let top: BTreeSet<String> = people(cx.ws, "top-management");
    let by_top = approvals
        .iter()
        .any(|a| a.claim.role == "top-management" || top.contains(&lower(&a.signer_email)));
    if !by_top {
        let message = if approvals.is_empty() {
            format!("{pid} has no approval in force, so top management has not approved it")
        } else {
            let who: Vec<String> = approvals
                .iter()
                .map(|a| format!("{} as {}", a.signer_email, a.claim.role))
                .collect();
            format!(
                "{pid} is approved by {} but by no member of top-management",
                who.join(", ")
            )
        };
        let f = at(&POLICY_NOT_TOP_MANAGEMENT, p, "id", message);
        cx.out.push(if approvals.is_empty() {
            f.because(crate::finding::causes::NOT_APPROVED)
        } else {
            f
        });
    }
}
