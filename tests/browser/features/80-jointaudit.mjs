// 80-jointaudit.mjs — the coordinator's joint audit, in the browser.  The
// demo (hearth demo) leaves a few deliberate duplicates: a child referred
// again by a second school and accepted for another worker (two open
// cases, two lead workers, a pupil referred by two schools), two agencies
// working on one family's housing, and an agency carrying another family's
// plan.  The coordinator opens "Joint audit" from the menu: every check is
// explained in plain words, the counts are shown, each finding says what
// was found and links to the cases concerned (which open the family
// record); the period can be changed without JavaScript; the CSV export
// downloads.  The page passes axe; other roles get 403.

export default async function (t) {
	await t.test('joint audit: the coordinator sees the findings explained and linked to the cases',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator')
			await page.getByRole('link', { name: 'Joint audit', exact: true }).click()
			await page.waitForURL(`${t.base}/joint-audit`)
			t.check(await t.h1Text(page) === 'Joint audit of case work',
				'the heading is not "Joint audit of case work"')
			const checks = {
				open_cases: 'Families with more than one open case',
				lead: 'Families with more than one lead professional',
				two_schools: 'Pupils referred by two or more schools',
				same_need: 'Agencies holding actions on the same need',
			}
			for (const [code, title] of Object.entries(checks)) {
				const h2 = page.locator(`h2#${code}`)
				t.check(await h2.innerText() === title, `no heading "${title}"`)
				// the explanation follows the heading, in plain words
				const words = await page.locator(`section[aria-labelledby="${code}"] p`).first().innerText()
				t.check(words.length > 80, `no explanation under "${title}"`)
				const count = Number(await page.locator(`#count-${code}`).innerText())
				t.check(count >= 1, `the demo should give a finding under "${title}", count ${count}`)
				const rows = page.locator(`#findings-${code} tbody tr`)
				t.check(await rows.count() === count, `"${title}": the count and the rows differ`)
				const first = rows.first()
				t.check(/^F-\d{6} /.test(await first.locator('td').first().innerText()),
					`"${title}": the first finding names no family`)
				t.check((await first.locator('td').nth(1).innerText()).length > 10,
					`"${title}": the first finding does not say what was found`)
				t.check(await first.locator('a[href^="/cases/C-"]').count() >= 1,
					`"${title}": the first finding links to no case`)
			}
			const why = await page.locator('section[aria-labelledby="two_schools"]').innerText()
			t.check(/was referred by more than one school/.test(why), 'the two-schools finding is not explained')
			await t.axe(page, '/joint-audit')
			await t.shot(page, 'joint-audit')

			// a finding's case opens the family record
			const link = page.locator('#findings-open_cases a[href^="/cases/C-"]').first()
			const href = await link.getAttribute('href')
			await link.click()
			await page.waitForURL(`${t.base}${href}`)
			t.check((await t.h1Text(page)).length > 0, 'the case link did not open the family record')

			// the period, chosen with a plain GET form
			await page.goto(`${t.base}/joint-audit`)
			await page.getByLabel('Referrals from schools received in the last').selectOption('24')
			await page.getByRole('button', { name: 'Check again' }).click()
			await page.waitForURL(`${t.base}/joint-audit?months=24`)
			t.check(await page.locator('#months').inputValue() === '24', 'the period was not kept')

			// the export
			const res = await page.request.get(`${t.base}/joint-audit.csv?months=12`)
			t.check(res.status() === 200, `CSV status ${res.status()}`)
			t.check(/^text\/csv/.test(res.headers()['content-type'] || ''), 'the export is not CSV')
			const csv = await res.text()
			t.check(csv.startsWith('"Check","Family ref","Family","What we found","Cases","Referrals"'),
				'the CSV has no header row')
			t.check(csv.split('\r\n').filter(l => l).length >= 5, 'the CSV has fewer than four findings')
		} finally {
			await context.close()
		}
	})

	await t.test('joint audit: other roles are refused', ['server', 'browser'], async () => {
		for (const role of ['worker', 'school', 'agency', 'admin']) {
			const { context, page } = await t.newPage()
			try {
				await t.signIn(page, role)
				t.check(await page.getByRole('link', { name: 'Joint audit', exact: true }).count() === 0,
					`${role} sees a "Joint audit" link`)
				const res = await page.goto(`${t.base}/joint-audit`)
				t.check(res.status() === 403, `${role}: /joint-audit answered ${res.status()}`)
			} finally {
				await context.close()
			}
		}
	})
}
