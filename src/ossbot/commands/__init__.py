"""Commands in comments (`@ossbot <command>`, `/ossbot <command>`): one layer for every job that
takes commands. Parsing (parse.py) finds them with a Markdown parser, so that code blocks,
quotes and HTML comments never count; the commands job (job.py) checks the commenter's
permission once, answers refusals, and asks each command's job for its plan."""
