/* serve_cmd.c — `hearth serve` (the web server) and `hearth routes`. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
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
	"usage: hearth serve [--db URL] [--listen HOST:PORT] [--threads N] [--workers N]\n"
	"                    [--quiet] [--secure-cookies]\n"
	"\n"
	"Start the web server (default 127.0.0.1:8080) on an initialised database.\n"
	"--threads network threads (default one per core) read requests and run\n"
	"the quick ones (/api/v1/me, /api/v1/health, assets); --workers worker\n"
	"threads (default four per core) run the rest: sign-ins, pages, reports,\n"
	"changes.  --workers 0: none, every request runs on a network thread.\n"
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

/* A thread count from the command line, min to 1024, into *out; false
 * (with a message naming the flag) if it is not one. */
static bool thread_count(const char *flag, const char *arg, unsigned min, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > 1024) {
		fprintf(stderr, "hearth serve: %s must be a whole number from %u to 1024, not \"%s\"\n",
			flag, min, arg);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

int serve_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'}, {"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'}, {"workers", required_argument, NULL, 'w'},
		{"quiet", no_argument, NULL, 'q'},
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
		case 't':
			if (!thread_count("--threads", optarg, 1, &o.threads))
				return 1;
			break;
		case 'w':
			if (!thread_count("--workers", optarg, 0, &o.workers))
				return 1;
			if (o.workers == 0)
				o.workers = WORKERS_NONE;
			break;
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
