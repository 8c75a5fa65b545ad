// 92-cost.mjs — cost per family, in the browser.  The demo (hearth demo)
// has a year of contacts and commissions in every state.  The coordinator
// opens "Cost per family" from the menu: the headline ("N families
// supported at £X each"), the totals, a row per case whose columns add up
// to the footer to the penny, and the cost per family equal to the total
// over the families; the year is chosen with a plain GET form; the CSV
// export's total row agrees with the page; a case's link opens the family
// record at its cost section, whose money agrees with the case's row.
// Both pages pass axe; roles without CAP_REPORTS get no link and a 403.

// "£1,234.56" → 123456 (integer pence; never floating point sums)
function pence(text) {
	const m = /(-?)£([\d,]+)\.(\d\d)/.exec(text)
	if (!m)
		return NaN
	const v = Number(m[2].replace(/,/g, '')) * 100 + Number(m[3])
	return m[1] ? -v : v
}

export default async function (t) {
	await t.test('cost per family: the year adds up to the penny, the CSV agrees, the case shows its cost',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator')
			await page.getByRole('link', { name: 'Cost per family', exact: true }).click()
			await page.waitForURL(`${t.base}/costs`)
			t.check(await t.h1Text(page) === 'Cost per family', 'the heading is not "Cost per family"')
			const headline = await page.locator('#headline').innerText()
			const hm = /(\d+) famil(?:y|ies) supported at (£[\d,]+\.\d\d) each/.exec(headline)
			t.check(hm, `no "N families supported at £X each" headline: ${headline}`)
			const families = Number(hm[1])
			t.check(families > 10, `the demo year should have families, got ${families}`)

			// the rows add up to the footer, column by column
			const rows = page.locator('#cost-cases tbody tr')
			const n = await rows.count()
			t.check(n >= families, `${n} rows for ${families} families`)
			const sums = [0, 0, 0]
			for (const cells of await rows.evaluateAll(trs => trs.map(tr =>
				[...tr.querySelectorAll('td')].slice(5, 8).map(td => td.textContent)))) {
				cells.forEach((c, i) => { sums[i] += pence(c) })
			}
			const foot = await page.locator('#cost-total-row td').allInnerTexts()
			t.check(pence(foot[1]) === sums[0], `time cost: footer ${foot[1]}, rows ${sums[0]}p`)
			t.check(pence(foot[2]) === sums[1], `commissioned: footer ${foot[2]}, rows ${sums[1]}p`)
			t.check(pence(foot[3]) === sums[2], `total: footer ${foot[3]}, rows ${sums[2]}p`)
			t.check(sums[0] + sums[1] === sums[2], 'time + commissioned is not the total')
			t.check(sums[1] > 0, 'the demo year has no commissioned money')
			const total = pence(await page.locator('#total-cost').innerText())
			const each = pence(await page.locator('#per-family').innerText())
			t.check(total === sums[2], 'the summary total differs from the table')
			t.check(each === Math.floor((2 * total + families) / (2 * families)),
				`cost per family ${each}p is not ${total}p over ${families} rounded half up`)
			t.check(pence(hm[2]) === each, 'the headline and the summary differ')
			await t.axe(page, '/costs')
			await t.shot(page, 'costs')

			// the CSV's total row agrees with the page
			const res = await page.request.get(`${t.base}/costs.csv`)
			t.check(res.status() === 200, `CSV status ${res.status()}`)
			t.check(/^text\/csv/.test(res.headers()['content-type'] || ''), 'the export is not CSV')
			const lines = (await res.text()).split('\r\n').filter(l => l)
			t.check(lines[0].startsWith('"Family ref","Family","Case ref"'), 'the CSV has no header row')
			const totalLine = lines.find(l => l.startsWith('"Total"'))
			t.check(totalLine, 'the CSV has no total row')
			const cols = totalLine.split(',')
			t.check(cols[1] === `"${families} families"`, `the CSV counts ${cols[1]}`)
			t.check(Math.round(Number(cols.at(-1)) * 100) === total, `CSV total ${cols.at(-1)}`)
			t.check(lines.length === n + 3, `the CSV has ${lines.length - 3} case rows, the page ${n}`)

			// a case with money opens at its cost section, agreeing with its row
			const withMoney = rows.filter({ has: page.locator('a[href^="/cases/C-"]') })
			let row = null
			for (let i = 0; i < await withMoney.count(); i++) {
				const r = withMoney.nth(i)
				if (pence(await r.locator('td').nth(6).innerText()) > 0) {
					row = r
					break
				}
			}
			t.check(row, 'no case row with commissioned money links to its case')
			const commissioned = pence(await row.locator('td').nth(6).innerText())
			const link = row.locator('a[href^="/cases/C-"]')
			const href = await link.getAttribute('href')
			await link.click()
			await page.waitForURL(`${t.base}${href}`)
			t.check(await page.locator('h2#costs').innerText() === 'What the support has cost',
				'the family record has no cost section')
			const committed = pence(await page.locator('#cost-committed').innerText())
			const spent = pence(await page.locator('#cost-spent').innerText())
			t.check(committed + spent === commissioned,
				`the case page shows ${committed}p + ${spent}p, its row ${commissioned}p`)
			t.check(/hours at £32\.00 an hour/.test(await page.locator('#cost-hours').innerText()),
				'the hours and their rate are not shown')
			const time = pence(await page.locator('#cost-time').innerText())
			t.check(pence(await page.locator('#cost-total').innerText()) === committed + spent + time,
				'the case total is not money + time')
			await t.axe(page, href)
			await t.shot(page, 'case-costs')

			// another year, chosen without JavaScript
			await page.goto(`${t.base}/costs`)
			await page.getByLabel('Kind of year').selectOption('academic')
			const year = await page.locator('#year option').nth(2).getAttribute('value')
			await page.getByLabel('Year starting in').selectOption(year)
			await page.getByRole('button', { name: 'Show the year' }).click()
			await page.waitForURL(`${t.base}/costs?period=academic&year=${year}`)
			t.check(await page.locator('#period').inputValue() === 'academic', 'the period was not kept')
			t.check((await page.locator('#headline').innerText()).includes(`Academic year ${year}`),
				'the headline does not name the academic year')
		} finally {
			await context.close()
		}
	})

	await t.test('cost per family: roles without reports are refused', ['server', 'browser'], async () => {
		for (const role of ['worker', 'school', 'viewer', 'agency']) {
			const { context, page } = await t.newPage()
			try {
				await t.signIn(page, role)
				t.check(await page.getByRole('link', { name: 'Cost per family', exact: true }).count() === 0,
					`${role} sees a "Cost per family" link`)
				const res = await page.goto(`${t.base}/costs`)
				t.check(res.status() === 403, `${role}: /costs answered ${res.status()}`)
			} finally {
				await context.close()
			}
		}
	})
}
