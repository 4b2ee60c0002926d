# Roadmap items arrive with the roadmaps issue.
