// 95-reports.mjs — the impact reports' index, the printable Schools Forum
// report and the dashboard JSON, in the browser.  The coordinator, without
// JavaScript, opens /reports, follows the link to the Schools Forum report,
// chooses a financial year with the plain GET filter form, and gets the
// report for exactly that year; every cell of every section's table on the
// page says what the dashboard JSON of the same filter says (whatever
// sections the registry holds), and printing hides the form and links.
// The workbook downloads.  A bad date shows the GOV.UK error summary on
// the form.  The viewer's copy has no count from 1 to 4 anywhere (page or
// JSON).  Every page passes axe; the worker gets a 403.

// A JSON value as the page prints it (web/report_out.c report_cell_text).
function printed(kind, v) {
	if (v === null)
		return '–'
	if (typeof v === 'string')
		return v
	const neg = v < 0 ? '-' : ''
	const a = Math.abs(v)
	const group = n => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
	switch (kind) {
	case 'pence': return `${neg}£${group(Math.floor(a / 100))}.${String(a % 100).padStart(2, '0')}`
	case 'permille': return `${neg}${Math.floor(a / 10)}.${a % 10}%`
	case 'tenths': return `${neg}${Math.floor(a / 10)}.${a % 10}`
	default: return `${neg}${group(a)}`
	}
}

// Every report cell on the page: {"<table>--<row>--<col>": text}.
function pageCells(page) {
	return page.locator('section.hearth-report td[id]').evaluateAll(tds =>
		Object.fromEntries(tds.map(td => [td.id, td.textContent])))
}

// A cell's kind: its column's where the table gives kinds by column (the
// caseloads table: one row per worker), else its row's.
function kindOf(table, row, c) {
	return table.column_kinds ? table.column_kinds[c] : row.kind
}

// Compare the page's cells with the dashboard JSON; returns the cell count.
function agree(t, cells, dash, where) {
	let n = 0
	for (const [tid, table] of Object.entries(dash.tables)) {
		for (const row of table.rows) {
			table.columns.forEach((col, c) => {
				const id = `${tid}--${row.key}--${col}`
				const want = printed(kindOf(table, row, c), row.values[col])
				t.check(id in cells, `${where}: no cell ${id} on the page`)
				t.check(cells[id] === want, `${where}: ${id} is "${cells[id]}" on the page, "${want}" in the JSON`)
				n++
			})
			if (table.detail_head) {    // the text column (a worker's employer and role)
				const id = `${tid}--${row.key}--detail`
				t.check(cells[id] === (row.detail || ''),
					`${where}: ${id} is "${cells[id]}" on the page, "${row.detail}" in the JSON`)
				n++
			}
		}
	}
	t.check(n === Object.keys(cells).length, `${where}: the page has ${Object.keys(cells).length} cells, the JSON ${n}`)
	return n
}

export default async function (t) {
	await t.test('Schools Forum report: the index links it, the form picks a year, page and JSON agree cell for cell, print hides the chrome',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage({ javaScriptEnabled: false })
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const idx = await page.goto(`${t.base}/reports`)
			t.check(idx.status() === 200, `/reports answered ${idx.status()}`)
			t.check(await t.h1Text(page) === 'Impact reports', 'the index heading is not "Impact reports"')
			await page.getByRole('link', { name: 'The Schools Forum report', exact: true }).click()
			await page.waitForURL(`${t.base}/reports/forum`)
			t.check(await t.h1Text(page) === 'Report to the Schools Forum', 'the report heading is wrong')
			t.check(await page.locator('.govuk-service-navigation, .govuk-footer').count() === 0,
				'the printable report has the service chrome')

			// a financial year through the plain GET form
			const year = new Date().getUTCFullYear() - 1
			await page.locator('#period').selectOption('financial')
			await page.locator('#year').selectOption(String(year))
			await page.getByRole('button', { name: 'Show the figures', exact: true }).click()
			await page.waitForURL(/\/reports\/forum\?.*period=financial/)
			const period = (await page.locator('#forum-period').innerText()).trim()
			t.check(period === `1 April ${year} to 31 March ${year + 1}`, `the period says "${period}"`)
			t.check(await page.locator('#period').inputValue() === 'financial', 'the form forgot the period')
			await t.shot(page, 'reports-forum')

			// page and JSON agree, cell for cell
			const query = new URL(page.url()).search
			const res = await page.request.get(`${t.base}/api/v1/reports/dashboard${query}`)
			t.check(res.status() === 200, `dashboard JSON answered ${res.status()}`)
			const dash = await res.json()
			t.check(dash.filter.from === `${year}-04-01` && dash.filter.to === `${year + 1}-03-31`,
				`the JSON's period is ${dash.filter.from}–${dash.filter.to}`)
			const sections = await page.locator('section.hearth-report').count()
			t.check(sections === Object.keys(dash.tables).length,
				`${sections} sections on the page, ${Object.keys(dash.tables).length} in the JSON`)
			agree(t, await pageCells(page), dash, 'coordinator')

			// printing: the form, the links back and the download link are hidden
			await page.emulateMedia({ media: 'print' })
			t.check(!(await page.locator('#report-filter').isVisible()), 'the filter form prints')
			t.check(!(await page.locator('#forum-xlsx').isVisible()), 'the download link prints')
			t.check(await page.locator('#forum-summary').isVisible(), 'the period does not print')
			await t.shot(page, 'reports-forum-print')
			await page.emulateMedia({ media: 'screen' })

			// the workbook
			const href = await page.locator('#forum-xlsx').getAttribute('href')
			t.check(href.startsWith('/reports/forum.xlsx?') && href.includes(`year=${year}`),
				`the workbook link is ${href}`)
			const x = await page.request.get(`${t.base}${href}`)
			t.check(x.status() === 200, `the workbook answered ${x.status()}`)
			t.check((x.headers()['content-type'] || '').includes('spreadsheetml'), 'the workbook is not XLSX')
			const body = await x.body()
			t.check(body.length > 1000 && body.subarray(0, 2).toString() === 'PK', 'the workbook is not a zip')
		} finally {
			await context.close()
		}
	})

	await t.test('Schools Forum report: a bad date is shown on the form, GOV.UK style',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage({ javaScriptEnabled: false })
		try {
			await t.signIn(page, 'coordinator', { home: false })
			await page.goto(`${t.base}/reports/forum`)
			await page.locator('#period').selectOption('custom')
			await page.locator('#from').fill('2025-13-01')
			await page.locator('#to').fill('2026-03-31')
			const resp = page.waitForResponse(r => r.url().includes('/reports/forum?'))
			await page.getByRole('button', { name: 'Show the figures', exact: true }).click()
			t.check((await resp).status() === 422, 'a bad date did not answer 422')
			const summary = await page.locator('.govuk-error-summary').innerText()
			t.check(summary.includes('There is a problem') && summary.includes('real date'),
				`the error summary says: ${summary}`)
			t.check(await page.locator('#from-error').count() === 1, 'the date field has no error message')
			t.check(await page.locator('#from').inputValue() === '2025-13-01', 'the form forgot what was typed')
		} finally {
			await context.close()
		}
	})

	// axe needs JavaScript in the page, so the accessibility audit has its own context
	await t.test('impact reports: the index, the Schools Forum report and its error page pass axe',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator', { home: false })
			for (const [url, status] of [['/reports', 200], ['/reports/forum?period=financial&year=2025', 200],
					['/reports/forum?period=custom&from=2025-13-01&to=2026-03-31', 422]]) {
				const r = await page.goto(`${t.base}${url}`)
				t.check(r.status() === status, `${url} answered ${r.status()}`)
				await t.axe(page, url)
			}
		} finally {
			await context.close()
		}
	})

	await t.test('Schools Forum report: the viewer never sees a count from 1 to 4; the worker is refused',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'viewer', { home: false })
			const r = await page.goto(`${t.base}/reports/forum?period=custom&from=2016-04-01&to=2026-03-31`)
			t.check(r.status() === 200, `the viewer's report answered ${r.status()}`)
			const note = await page.locator('#forum-suppression').innerText()
			t.check(note.includes('fewer than 5'), `the suppression note says: ${note}`)
			await t.axe(page, '/reports/forum (viewer)')
			const res = await page.request.get(`${t.base}/api/v1/reports/dashboard?period=custom&from=2016-04-01&to=2026-03-31`)
			const dash = await res.json()
			t.check(dash.filter.suppressed === true, 'the viewer\'s JSON is not suppressed')
			for (const [tid, table] of Object.entries(dash.tables))
				for (const row of table.rows)
					table.columns.forEach((col, c) => {
						const v = row.values[col]
						t.check(!(kindOf(table, row, c) === 'count' && typeof v === 'number' && v >= 1 && v <= 4),
							`${tid}.${row.key}.${col} shows ${v} to the viewer`)
					})
			agree(t, await pageCells(page), dash, 'viewer')
		} finally {
			await context.close()
		}
		const w = await t.newPage()
		try {
			await t.signIn(w.page, 'worker', { home: false })
			const r = await w.page.goto(`${t.base}/reports`)
			t.check(r.status() === 403, `the worker's /reports answered ${r.status()}`)
		} finally {
			await w.context.close()
		}
	})
}
