/* serve_cmd.c — `hearth serve` (the web server) and `hearth routes`. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cli/cli.h"
#include "core/report_pool.h"
#include "store/db.h"
#include "web/route.h"
#include "web/server.h"

static const char serve_help[] =
	"usage: hearth serve [--db URL] [--listen HOST:PORT] [--threads N] [--quiet]\n"
	"                    [--secure-cookies]\n"
	"\n"
	"Start the web server (default 127.0.0.1:8080) on an initialised database,\n"
	"with --threads worker threads (default one per core).\n"
	"Behind a TLS-terminating proxy, --secure-cookies marks cookies Secure.\n"
	"One access-log line per request goes to standard error (--quiet: none).\n"
	"Stops cleanly on SIGINT or SIGTERM.\n";

static const char routes_help[] =
	"usage: hearth routes [--caps]\n"
	"\n"
	"Print the route table as tab-separated lines:\n"
	"METHOD PATH CAPABILITY CSRF AUDIT KIND.  With --caps, print each role\n"
	"and the capabilities it expands to.\n";

/* Keep the server's heap from growing under load.  glibc gives each
 * thread that meets a locked arena a new one (up to 8 per core), and every
 * arena keeps the memory freed into it: with 16 pool threads the heap grew
 * by 30 MB of free memory over a 10-minute soak while the live heap stayed
 * at 40 MB.  Two arenas keep RSS flat (bench/soak; README "Reliability").
 * MALLOC_ARENA_MAX in the environment, if set, wins. */
static void serve_malloc_tune(void)
{
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 2);
}

int serve_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
		{"secure-cookies", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
	};
	struct server_opts o = {.listen = "127.0.0.1:8080"};
	const char *flag = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': flag = optarg; break;
		case 'l': o.listen = optarg; break;
		case 't': o.threads = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'q': o.quiet = 1; break;
		case 's': o.secure_cookies = 1; break;
		case 'h': return cli_usage(serve_help, 0);
		default: return cli_usage(serve_help, 1);
		}
	}
	if (optind != argc)
		return cli_usage(serve_help, 1);
	o.db_url = cli_db_url(flag);
	struct db *db = cli_open(o.db_url, 0);  /* check it opens and is current */
	if (!db)
		return 1;
	db_close(db);
	serve_malloc_tune();
	int rc = server_run(&o);
	report_pool_stop();   /* the report threads' connections, after the last request */
	return rc == HE_OK ? 0 : 1;
}

int routes_cmd(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--caps") == 0) {
		route_print_caps(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return cli_usage(routes_help, 0);
	if (argc != 1)
		return cli_usage(routes_help, 1);
	route_print(stdout);
	return 0;
}
