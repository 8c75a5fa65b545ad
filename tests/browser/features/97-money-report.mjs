// 97-money-report.mjs — the money report and risk and reach, in the
// browser.  The demo (hearth demo) has budgets with funding sources,
// commissions in every state, a year of contacts and a census with
// high-risk pupils.  The coordinator, without JavaScript, opens
// /reports/money for this financial year: every budget's available is its
// amount less committed and spent, the total row is the sum of the
// budgets, the funding sources' contributions add up to the budgets'
// amounts and their spent to the budgets' spent, the cost per family is
// the total over the families rounded half up, and the JSON agrees with
// the page.  /reports/reach: the districts add up to the total and the gap
// is high-risk less reached.  Both pass axe; the viewer sees no count
// from 1 to 4; the worker gets a 403.

// "£1,234.56" → 123456; "1,234" → 1234; anything else → NaN
function pence(text) {
	const m = /^(-?)£([\d,]+)\.(\d\d)$/.exec(text.trim())
	if (!m)
		return NaN
	const v = Number(m[2].replace(/,/g, '')) * 100 + Number(m[3])
	return m[1] ? -v : v
}
function num(text) {
	const s = text.trim().replace(/,/g, '')
	return /^-?\d+$/.test(s) ? Number(s) : NaN
}
function sum(a) {
	return a.reduce((x, y) => x + y, 0)
}

// The table's rows as {key: [cell texts]} (row ids are "<table>--<key>").
async function tableRows(page, id) {
	return page.locator(`#table-${id} tbody tr`).evaluateAll((trs, tid) => {
		const out = {}
		for (const tr of trs)
			out[tr.id.slice(tid.length + 2)] = [...tr.querySelectorAll('td')].map(td => td.textContent)
		return out
	}, id)
}

export default async function (t) {
	const now = new Date()
	const fy = now.getMonth() >= 3 ? now.getFullYear() : now.getFullYear() - 1
	const query = `period=financial&year=${fy}`

	await t.test('money: budgets, sources and cost per family add up; the JSON agrees',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage({ javaScriptEnabled: false })
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const res = await page.goto(`${t.base}/reports/money?${query}`)
			t.check(res.status() === 200, `/reports/money answered ${res.status()}`)
			t.check(await t.h1Text(page) === 'Money', `the heading is "${await t.h1Text(page)}"`)

			const b = await tableRows(page, 'money_budgets')
			const keys = Object.keys(b).filter(k => k.startsWith('budget_'))
			t.check(keys.length > 0 && b.total, `budget rows: ${Object.keys(b).join(', ')}`)
			const col = (rows, ks, i) => ks.map(k => pence(rows[k][i]))
			for (const k of keys) {
				const [amount, committed, spent, , available] = b[k].map(pence)
				t.check(amount - committed - spent === available, `${k}: ${b[k].join(' | ')}`)
			}
			for (let i = 0; i < 5; i++)
				t.check(sum(col(b, keys, i)) === pence(b.total[i]), `budgets column ${i} does not add up`)

			const s = await tableRows(page, 'money_sources')
			t.check(pence(s.contribution.at(-1)) === pence(b.total[0]), 'the sources do not add up to the budgets')
			t.check(sum(s.contribution.slice(0, -1).map(pence)) === pence(s.contribution.at(-1)), 'contributions')
			t.check(sum(s.spent.slice(0, -1).map(pence)) === pence(b.total[2]), 'the sources\' spent is not the budgets\'')
			t.check(s.pool_share.at(-1).trim() === '100.0%', `the pool's share is ${s.pool_share.at(-1)}`)

			const f = await tableRows(page, 'money_families')
			const fam = num(f.families.at(-1)), total = pence(f.total_cost.at(-1))
			t.check(fam > 0, `families supported: ${f.families.at(-1)}`)
			t.check(pence(f.commissioned.at(-1)) + pence(f.worker_time.at(-1)) === total, 'money + time is not the total')
			t.check(pence(f.per_family.at(-1)) === Math.floor((2 * total + fam) / (2 * fam)),
				`cost per family ${f.per_family.at(-1)} is not ${total}p over ${fam}`)
			t.check(await page.locator('#table-money_engaged tbody tr').count() >= 1, 'no academic years')

			const api = await page.request.get(`${t.base}/api/v1/reports/money?${query}`)
			t.check(api.status() === 200, `the API answered ${api.status()}`)
			const j = (await api.json()).tables
			const pf = j.money_families.rows.find(r => r.key === 'per_family').values.total
			t.check(pf === pence(f.per_family.at(-1)), `JSON per family ${pf}, page ${f.per_family.at(-1)}`)
			const bt = j.money_budgets.rows.find(r => r.key === 'total').values.available
			t.check(bt === pence(b.total[4]), `JSON available ${bt}, page ${b.total[4]}`)

			const js = await t.newPage()
			try {
				await t.signIn(js.page, 'coordinator', { home: false })
				await js.page.goto(`${t.base}/reports/money?${query}`)
				await t.axe(js.page, '/reports/money')
				await t.shot(js.page, 'money-report')
			} finally {
				await js.context.close()
			}
		} finally {
			await context.close()
		}
	})

	await t.test('risk and reach: districts add up, the gap is the unreached; the viewer and the worker',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const res = await page.goto(`${t.base}/reports/reach?${query}`)
			t.check(res.status() === 200, `/reports/reach answered ${res.status()}`)
			t.check(await t.h1Text(page) === 'Risk and reach', 'the heading is not "Risk and reach"')
			const r = await tableRows(page, 'reach')
			const high = r.high_risk.map(num), reached = r.reached.map(num), gap = r.gap.map(num)
			t.check(high.at(-1) > 0, `high-risk pupils: ${r.high_risk.at(-1)}`)
			t.check(sum(high.slice(0, -1)) === high.at(-1), 'the districts do not add up')
			high.forEach((h, i) => t.check(h - reached[i] === gap[i], `column ${i}: the gap is wrong`))
			t.check(await page.locator('#report-reach svg').count() === 1, 'no chart')
			await t.axe(page, '/reports/reach')
		} finally {
			await context.close()
		}
		const v = await t.newPage()
		try {
			await t.signIn(v.page, 'viewer', { home: false })
			for (const path of [`/reports/reach?district=1&${query}`, `/reports/money?${query}`]) {
				const res = await v.page.goto(`${t.base}${path}`)
				t.check(res.status() === 200, `${path} as viewer: ${res.status()}`)
				const cells = await v.page.locator('tbody td').allInnerTexts()
				t.check(!cells.some(c => /^[1-4]$/.test(c.trim())), `${path}: a count from 1 to 4 is shown`)
			}
			await t.axe(v.page, '/reports/money as viewer')
		} finally {
			await v.context.close()
		}
		const w = await t.newPage()
		try {
			await t.signIn(w.page, 'worker', { home: false })
			const res = await w.page.goto(`${t.base}/reports/money`)
			t.check(res.status() === 403, `the worker got ${res.status()}`)
		} finally {
			await w.context.close()
		}
	})
}
