/*
** bench/bare_mhd.c — the ceiling of our HTTP library.
**
** A libmicrohttpd server that does nothing but answer every request with
** one fixed response: the body read from a file, Content-Type
** application/json (or what -H sets) and any extra headers given with -H.
** It runs the daemon the way hearth does (internal polling thread, epoll
** when available, a thread pool of one thread per core, the same
** connection limits as src/web/server.c), so the gap
** between this and `hearth serve` is what Hearth itself costs per request.
**
**   bare_mhd [-p PORT] [-t THREADS] [-H 'Name: value']... BODYFILE
**
** PORT 0 (the default) lets the kernel pick a free port. Once listening it
** prints "bare_mhd listening on http://127.0.0.1:PORT/" and runs until
** SIGINT or SIGTERM. Stand-alone on purpose: it links only libmicrohttpd.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BARE_MAX_HEADERS 32

/* Command-line settings. */
struct bare_opts {
	unsigned port;
	unsigned threads;
	const char *body_path;
	const char *headers[BARE_MAX_HEADERS];
	int n_headers;
};

/* Answer every request with the one shared response. The first call for a
** request only marks it seen: a response queued that early makes
** libmicrohttpd discard the rest of the request and close the connection
** (no keep-alive), so, like any real handler, answer on the second call,
** once the whole request has arrived. */
static enum MHD_Result bare_answer(void *cls, struct MHD_Connection *conn,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_size, void **req_cls)
{
	static int seen;

	(void)url; (void)method; (void)version; (void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;	/* ignore any request body */
		return MHD_YES;
	}
	return MHD_queue_response(conn, MHD_HTTP_OK, cls);
}

/* Read a whole file into a malloc'd buffer; NULL on error. */
static char *bare_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
	    || fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n)
		goto fail;
	*len = (size_t)n;
	fclose(f);
	return data;
fail:
	free(data);
	fclose(f);
	return NULL;
}

/* Add one "Name: value" header to the response; -1 if malformed. */
static int bare_add_header(struct MHD_Response *resp, const char *line)
{
	const char *colon = strchr(line, ':');
	const char *value;
	char name[128];
	size_t n;

	if (!colon || colon == line || (n = (size_t)(colon - line)) >= sizeof name)
		return -1;
	memcpy(name, line, n);
	name[n] = '\0';
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		;
	return MHD_add_response_header(resp, name, value) == MHD_YES ? 0 : -1;
}

/* Build the fixed response: body, Content-Type, extra headers. */
static struct MHD_Response *bare_response(const struct bare_opts *o)
{
	struct MHD_Response *resp;
	size_t len = 0;
	char *body = bare_slurp(o->body_path, &len);
	int have_type = 0, i;

	if (!body) {
		fprintf(stderr, "bare_mhd: %s: %s\n", o->body_path, strerror(errno));
		return NULL;
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return NULL;
	}
	for (i = 0; i < o->n_headers; i++) {
		if (strncasecmp(o->headers[i], "Content-Type:", 13) == 0)
			have_type = 1;
		if (bare_add_header(resp, o->headers[i]) != 0) {
			fprintf(stderr, "bare_mhd: bad header '%s'\n", o->headers[i]);
			MHD_destroy_response(resp);
			return NULL;
		}
	}
	if (!have_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
			"application/json");
	return resp;
}

/* Print usage and return the exit status 2. */
static int bare_usage(void)
{
	fprintf(stderr, "usage: bare_mhd [-p PORT] [-t THREADS] "
		"[-H 'Name: value']... BODYFILE\n");
	return 2;
}

/* Parse argv into *o; 0 on success. */
static int bare_parse(int argc, char **argv, struct bare_opts *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	o->threads = cores > 0 ? (unsigned)cores : 1;
	while ((c = getopt(argc, argv, "p:t:H:")) != -1) {
		switch (c) {
		case 'p': o->port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': o->threads = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H':
			if (o->n_headers == BARE_MAX_HEADERS)
				return -1;
			o->headers[o->n_headers++] = optarg;
			break;
		default: return -1;
		}
	}
	if (optind != argc - 1 || o->port > 65535 || o->threads == 0)
		return -1;
	o->body_path = argv[optind];
	return 0;
}

/* Start the daemon on 127.0.0.1:port with the thread pool. */
static struct MHD_Daemon *bare_start(const struct bare_opts *o,
	struct MHD_Response *resp)
{
	struct sockaddr_in addr;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)o->port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL,
		bare_answer, resp,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, o->threads,
		/* the limits src/web/server.c sets, so only the handler differs */
		MHD_OPTION_CONNECTION_LIMIT, 1000u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 200u,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
		MHD_OPTION_END);
}

int main(int argc, char **argv)
{
	struct bare_opts o;
	struct MHD_Response *resp = NULL;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	sigset_t stop;
	int rc = 1, sig;

	memset(&o, 0, sizeof o);
	if (bare_parse(argc, argv, &o) != 0)
		return bare_usage();
	/* Block the stop signals before the pool threads exist so that
	** they inherit the mask and main() alone receives them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	if (!(resp = bare_response(&o)))
		goto fail;
	if (!(d = bare_start(&o, resp))) {
		fprintf(stderr, "bare_mhd: cannot listen on 127.0.0.1:%u\n", o.port);
		goto fail;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("bare_mhd listening on http://127.0.0.1:%u/ (%u threads%s)\n",
		info ? (unsigned)info->port : o.port, o.threads,
		MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? ", epoll" : "");
	fflush(stdout);
	sigwait(&stop, &sig);
	rc = 0;
fail:
	if (d)
		MHD_stop_daemon(d);
	if (resp)
		MHD_destroy_response(resp);
	return rc;
}
