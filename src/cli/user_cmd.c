/* user_cmd.c — `hearth user add` and `hearth user passwd`.
 *
 * Passwords never go on the command line unless the caller insists
 * (--password, for scripts): at a terminal we prompt twice with echo off;
 * otherwise we read the password and its confirmation as two lines of
 * standard input. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/err.h"
#include "cli/cli.h"
#include "core/user.h"
#include "store/db.h"

static const char user_help[] =
	"usage: hearth user add --name NAME --email EMAIL --role ROLE [--school URN]\n"
	"                       [--password P] [--db URL]\n"
	"       hearth user passwd --email EMAIL [--password P] [--db URL]\n"
	"\n"
	"Roles: admin coordinator school worker agency viewer auditor.  A school\n"
	"user needs --school with their school's URN.  Without --password, the\n"
	"password is asked for twice at a terminal, or read as two lines (password,\n"
	"confirmation) from standard input.  Passwords need 10 or more characters.\n";

/* Read one line into out without echo if stdin is a terminal. */
static int read_line(const char *prompt, char *out, size_t n)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *ok = fgets(out, (int)n, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int ask_password(char *pw, size_t n)
{
	char again[PASSWORD_MAX + 2];
	if (read_line("Password: ", pw, n) || read_line("Password again: ", again, sizeof again)) {
		fprintf(stderr, "hearth user: expected the password twice on standard input\n");
		return -1;
	}
	if (strcmp(pw, again) != 0) {
		fprintf(stderr, "hearth user: the two passwords do not match\n");
		return -1;
	}
	return 0;
}

static int report(int rc, const struct errinfo *e, struct db *db)
{
	if (rc == HE_OK)
		return 0;
	if (e->code == rc && *e->message)
		fprintf(stderr, "hearth user: %s%s%s\n", *e->field ? e->field : "",
			*e->field ? ": " : "", e->message);
	else
		fprintf(stderr, "hearth user: %s %s\n", err_default_message(rc), db_errmsg(db));
	return 1;
}

int user_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"name", required_argument, NULL, 'n'},
		{"email", required_argument, NULL, 'e'}, {"role", required_argument, NULL, 'r'},
		{"school", required_argument, NULL, 's'}, {"password", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	const char *flag = NULL, *name = NULL, *email = NULL, *role = NULL, *school = NULL,
		   *password = NULL;
	if (argc < 2)
		return cli_usage(user_help, 1);
	const char *verb = argv[1];
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 'n': name = optarg; break;
		case 'e': email = optarg; break;
		case 'r': role = optarg; break;
		case 's': school = optarg; break;
		case 'p': password = optarg; break;
		case 'h': return cli_usage(user_help, 0);
		default: return cli_usage(user_help, 1);
		}
	}
	bool add = strcmp(verb, "add") == 0, passwd = strcmp(verb, "passwd") == 0;
	if ((!add && !passwd) || optind != argc - 1 || !email || (add && (!name || !role)))
		return cli_usage(user_help, 1);
	char pw[PASSWORD_MAX + 2];
	if (!password) {
		if (ask_password(pw, sizeof pw))
			return 1;
		password = pw;
	}
	struct db *db = cli_open(cli_db_url(flag), 0);
	if (!db)
		return 1;
	struct errinfo e = {0};
	struct audit_who who = cli_who(add ? "cli user add" : "cli user passwd");
	int rc = add ? user_create(db, &who, name, email, role, school, password, NULL, &e)
		     : user_set_password(db, &who, email, password, &e);
	int status = report(rc, &e, db);
	if (!status)
		printf("%s %s\n", add ? "added" : "password changed for", email);
	db_close(db);
	return status;
}
