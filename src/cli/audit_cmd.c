/* audit_cmd.c — `hearth audit verify`: check the audit log's hash chain. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "core/audit.h"
#include "store/db.h"

static const char audit_help[] =
	"usage: hearth audit verify [--db URL]\n"
	"\n"
	"Recompute the audit log's hash chain from the first row to the last.\n"
	"Exits 0 and prints the number of rows when every row verifies; exits 1\n"
	"naming the first row that does not (edited, inserted or removed).\n";

int audit_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *flag = NULL;
	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		return cli_usage(audit_help, !(argc == 2 && strcmp(argv[1], "--help") == 0));
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 'h': return cli_usage(audit_help, 0);
		default: return cli_usage(audit_help, 1);
		}
	}
	if (optind != argc - 1)
		return cli_usage(audit_help, 1);
	struct db *db = cli_open(cli_db_url(flag), 0);
	if (!db)
		return 1;
	int64_t rows = 0, bad = 0;
	struct buf msg;
	buf_init(&msg, 0);
	int rc = audit_verify(db, &rows, &bad, &msg);
	if (rc == HE_OK)
		printf("audit log verifies: %" PRId64 " rows\n", rows);
	else if (rc == HE_AUDIT_BROKEN)
		printf("audit log BROKEN: %s (%" PRId64 " rows checked)\n", buf_str(&msg), rows);
	else
		fprintf(stderr, "hearth audit: %s %s\n", err_default_message(rc), db_errmsg(db));
	buf_free(&msg);
	db_close(db);
	return rc == HE_OK ? 0 : 1;
}
