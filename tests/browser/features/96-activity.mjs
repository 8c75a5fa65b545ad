// 96-activity.mjs — activity by month, caseloads and waits, in the browser.
// The demo (hearth demo) has 18 months of referrals and cases.  The
// coordinator, without JavaScript, opens /reports/activity, chooses a
// financial year with the plain GET filter form, and reads a table with a
// column per month and a Total: every count's Total is the sum of its
// months, the referral sources add up to the referrals, the closure
// reasons to the closures, open at month end's Total is the last month;
// the chart is there; the CSV export carries the same figures.  The
// caseloads page shows a row per worker (with employer and role) whose
// open cases add up to "All workers", and the waits.  The viewer sees "fewer than 5" and no
// worker's name.  Every page passes axe; the worker gets a 403.

// "1,234" → 1234; "fewer than 5" and "–" → NaN
function num(text) {
	const s = text.trim().replace(/,/g, '')
	return /^-?\d+$/.test(s) ? Number(s) : NaN
}

// The table's rows as {key: [cell texts]} (key from the row's id "<table>--<key>").
async function tableRows(page, id) {
	return page.locator(`#table-${id} tbody tr`).evaluateAll((trs, tid) => {
		const out = {}
		for (const tr of trs)
			out[tr.id.slice(tid.length + 2)] = [...tr.querySelectorAll('td')].map(td => td.textContent)
		return out
	}, id)
}

function sum(a) {
	return a.reduce((x, y) => x + y, 0)
}

export default async function (t) {
	await t.test('activity by month: a financial year from the form, totals add up, the CSV agrees',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage({ javaScriptEnabled: false })
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const first = await page.goto(`${t.base}/reports/activity`)
			t.check(first.status() === 200, `/reports/activity answered ${first.status()}`)
			t.check(await t.h1Text(page) === 'Activity by month', 'the heading is not "Activity by month"')
			// the last complete financial year of the demo, chosen with the form
			const now = new Date()
			const fy = (now.getMonth() >= 3 ? now.getFullYear() : now.getFullYear() - 1) - 1
			await page.getByLabel('Period').selectOption('financial')
			await page.getByLabel('Year starting in').selectOption(String(fy))
			await page.getByRole('button', { name: 'Show the figures' }).click()
			await page.waitForURL(/\/reports\/activity\?.*period=financial/)
			const heads = await page.locator('#table-activity thead th').allInnerTexts()
			t.check(heads.length === 14, `expected Measure + 12 months + Total, got ${heads.length} columns`)
			t.check(heads[1] === `Apr ${fy}` && heads[12] === `Mar ${fy + 1}` && heads[13] === 'Total',
				`the columns are ${heads.join(' | ')}`)

			const rows = await tableRows(page, 'activity')
			const vals = k => rows[k].map(num)
			for (const k of ['referrals', 'accepted', 'signposted', 'declined', 'opened', 'closed',
				'stepped_down', 'stepped_up']) {
				const v = vals(k)
				t.check(v.every(x => !Number.isNaN(x)), `${k} has a cell that is not a number`)
				t.check(sum(v.slice(0, 12)) === v[12], `${k}: months add to ${sum(v.slice(0, 12))}, Total ${v[12]}`)
			}
			const ref = vals('referrals')
			t.check(ref[12] > 20, `the demo year should have referrals, got ${ref[12]}`)
			const sources = Object.keys(rows).filter(k => k.startsWith('referrals_'))
			t.check(sources.includes('referrals_school_primary') && sources.includes('referrals_agency'),
				`the sources are ${sources.join(', ')}`)
			for (let c = 0; c < 13; c++)
				t.check(sum(sources.map(k => vals(k)[c])) === ref[c], `column ${heads[c + 1]}: sources do not add up to the referrals`)
			const reasons = Object.keys(rows).filter(k => k.startsWith('closed_'))
			t.check(reasons.length === 5, `${reasons.length} closure reasons`)
			t.check(sum(reasons.map(k => vals(k)[12])) === vals('closed')[12], 'the closure reasons do not add up')
			const open = vals('open_month_end')
			t.check(open[12] === open[11] && open[11] > 0, `open at month end: Total ${open[12]}, March ${open[11]}`)
			t.check(await page.locator('#report-activity svg').count() === 1, 'no chart of the referrals')
			const url = page.url()
			// the CSV of the same filter prints the same figures
			const href = await page.locator('#export-csv').getAttribute('href')
			t.check(/format=csv/.test(href) && /period=financial/.test(href), `the CSV link is ${href}`)
			const res = await page.request.get(`${t.base}${href}`)
			t.check(res.status() === 200, `CSV status ${res.status()}`)
			const lines = (await res.text()).split('\r\n').filter(l => l)
			const line = lines.find(l => l.startsWith('"Referrals received","referrals",'))
			t.check(line, 'the CSV has no referrals row')
			t.check(line.split(',').slice(2).map(Number).join() === ref.join(),
				`CSV ${line} against the page ${ref.join()}`)
			t.check(lines.length === Object.keys(rows).length + 1, 'the CSV and the page have different rows')

			// axe needs script: the same page again with JavaScript on
			const js = await t.newPage()
			try {
				await t.signIn(js.page, 'coordinator', { home: false })
				await js.page.goto(url)
				await t.axe(js.page, '/reports/activity')
				await t.shot(js.page, 'activity')
			} finally {
				await js.context.close()
			}
		} finally {
			await context.close()
		}
	})

	await t.test('caseloads and waits: a row per worker adding up to all workers', ['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const r = await page.goto(`${t.base}/reports/caseloads`)
			t.check(r.status() === 200, `/reports/caseloads answered ${r.status()}`)
			t.check(await t.h1Text(page) === 'Caseloads and waits', 'the heading is not "Caseloads and waits"')
			const heads = await page.locator('#table-caseloads thead th').allInnerTexts()
			t.check(heads.join('|') === 'Worker|Employer and role|Open cases|Weighted caseload|' +
				'Capacity (weighted places)|Share of capacity used', `the columns are ${heads.join(' | ')}`)
			const names = await page.locator('#table-caseloads tbody th').allInnerTexts()
			t.check(names.at(-1) === 'All workers' && names.length > 3, `the rows are ${names.join(' | ')}`)
			t.check(names.includes('Sam Whitfield'), 'the demo worker has no row')
			// {worker_N: [employer and role, open, weighted, capacity, share]}, then total
			const rows = Object.entries(await tableRows(page, 'caseloads'))
			const workers = rows.filter(([k]) => k !== 'total').map(([, v]) => v)
			const total = rows.find(([k]) => k === 'total')[1]
			t.check(workers.every(v => v[0].includes(', ')), 'a worker has no employer and role')
			const open = workers.map(v => num(v[1])), w = workers.map(v => num(v[2]))
			t.check(sum(open) === num(total[1]) && num(total[1]) > 0, `open cases ${open.join()} of ${total[1]}`)
			t.check(sum(w) === num(total[2]), `weighted ${w.join()} of ${total[2]}`)
			t.check(workers.concat([total]).every(v => /^\d+\.\d%$/.test(v[4].trim())), 'a share is not a percentage')
			const waits = await tableRows(page, 'waits')
			t.check(num(waits.allocated.at(-1)) > 0, 'no allocations in the last 12 months')
			t.check(!Number.isNaN(num(waits.median_days.at(-1))), 'no median wait')
			await t.axe(page, '/reports/caseloads')
			await t.shot(page, 'caseloads')
		} finally {
			await context.close()
		}
	})

	await t.test('activity reports: the viewer sees small numbers suppressed and no names; the worker is refused',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'viewer', { home: false })
			await page.goto(`${t.base}/reports/activity`)
			t.check(await page.locator('#report-suppressed').count() === 1, 'no note on suppression')
			const cells = await page.locator('#table-activity tbody td').allInnerTexts()
			t.check(cells.some(c => c.trim() === 'fewer than 5'), 'no cell says "fewer than 5"')
			t.check(!cells.some(c => /^[1-4]$/.test(c.trim())), 'a count from 1 to 4 is shown')
			await t.axe(page, '/reports/activity as viewer')
			await page.goto(`${t.base}/reports/caseloads`)
			const names = await page.locator('#table-caseloads tbody th').allInnerTexts()
			t.check(names[0] === 'Worker 1', `the viewer's first worker row is "${names[0]}"`)
			const heads = await page.locator('#table-caseloads thead th').allInnerTexts()
			t.check(!heads.includes('Employer and role'), 'the viewer sees the workers\' employers')
			t.check(!(await page.content()).includes('Sam Whitfield'), 'the viewer sees a worker\'s name')
			await t.axe(page, '/reports/caseloads as viewer')
		} finally {
			await context.close()
		}
		const w = await t.newPage()
		try {
			await t.signIn(w.page, 'worker', { home: false })
			const res = await w.page.goto(`${t.base}/reports/activity`)
			t.check(res.status() === 403, `the worker got ${res.status()}`)
		} finally {
			await w.context.close()
		}
	})
}
