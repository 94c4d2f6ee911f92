"""The project's text rules: the fixed wording of its replies, in one place for the pipeline that
writes them and the evaluation that scores them (which must not import the pipeline to know them)."""

ABSTAIN_TEXT = "The articles don't say."
NOT_ANSWERED_TEXT = "The articles don't say: no passage found gives what the question asks for."
