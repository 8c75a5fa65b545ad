/* report_sections.c — the registry of impact report sections, in the
 * order of the printable Schools Forum report and the dashboard JSON
 * (core/report.h).  Each section's function lives in its own module. */
#include "core/report.h"

const struct report_section report_sections[] = {
	{NULL, NULL, NULL, NULL},
};
const size_t report_nsections = 0;
