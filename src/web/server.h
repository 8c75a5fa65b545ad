/* server.h — the HTTP server (libmicrohttpd, internal thread pool). */
#ifndef HEARTH_SERVER_H
#define HEARTH_SERVER_H

#define WORKERS_NONE ((unsigned)-1)

struct server_opts {
	const char *db_url;
	const char *listen;     /* "127.0.0.1:8080" */
	unsigned threads;       /* network threads; 0: one per core */
	unsigned workers;       /* worker threads; 0: four per core;
				 * WORKERS_NONE: none (all on the network threads) */
	int quiet;              /* no access log */
	int secure_cookies;     /* behind TLS: mark cookies Secure */
};

/* The database URL the server was started with (for background work that
 * needs its own connection). */
const char *server_db_url(void);

/* Serve until SIGINT or SIGTERM.  Prints the address once listening.
 * Returns an HE_ code (HE_USAGE for a bad listen address, HE_UNAVAILABLE
 * if the port cannot be bound). */
int server_run(const struct server_opts *o);

#endif
