# Feedback, feedback links, votes and the safety queue arrive with the feedback issue.
