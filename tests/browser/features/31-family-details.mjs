// 31-family-details.mjs — issue 5's family home and the pool's default
// maximum caseload, in the browser, without JavaScript-only steps:
//
//   - the coordinator opens an open case, opens "Change the address or home
//     language", types a postcode that is not one and gets the GOV.UK error
//     summary linking to the field (the page passes axe); then saves a new
//     address, postcode and home language, lands back on the case with a
//     success banner, sees the new values and the replaced ones under
//     "Earlier addresses and languages" (the case page passes axe);
//   - the coordinator follows "Change" from the pool's page to
//     /settings/caseload, gets the error summary for a value that is not a
//     whole number, saves 17 and sees it on the pool's page, then puts the
//     demo's 16 back for the features after this one.

export default async function (t) {
	await t.test('family details: the coordinator changes a family\'s address and home language',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const list = await page.request.get(`${t.base}/api/v1/cases?status=open`)
			t.check(list.status() === 200, `GET /api/v1/cases gave ${list.status()}`)
			const open = ((await list.json()).cases || []).filter(c => c.status === 'open')
			t.check(open.length > 0, 'the demo has no open case')
			const ref = open[open.length - 1].ref
			await page.goto(`${t.base}/cases/${ref}`)
			const before = await page.request.get(`${t.base}/api/v1/cases/${ref}/family`)
			t.check(before.status() === 200, `GET /api/v1/cases/${ref}/family gave ${before.status()}`)
			const was = (await before.json()).family
			const earlier = was.history.length

			// a postcode that is not one: the error summary links to the field
			await page.locator('#family-change summary').click()
			await page.getByLabel('Postcode').fill('NOT A POSTCODE')
			await page.getByRole('button', { name: 'Save address and language' }).click()
			await page.waitForLoadState()
			const summary = page.locator('.govuk-error-summary')
			t.check(await summary.count() === 1, 'no error summary for a bad postcode')
			t.check(await summary.locator('a[href="#family-postcode"]').count() === 1,
				'the error summary does not link to the postcode')
			t.check((await page.title()).startsWith('Error: '), 'the title does not start "Error: "')
			await t.axe(page, `/cases/${ref}/family (error)`)

			// the change: back on the case with a banner, the old values kept
			await page.getByLabel('Address').fill('14 Narborough Road, Leicester')
			await page.getByLabel('Postcode').fill('le3 0bq')
			await page.getByLabel('Home language').fill('Polish')
			await page.getByRole('button', { name: 'Save address and language' }).click()
			await page.waitForURL(new RegExp(`/cases/${ref}\\?family=changed`))
			t.check(await page.getByText("The family's details were changed").count() === 1,
				'no success banner after the change')
			const now = await page.request.get(`${t.base}/api/v1/cases/${ref}/family`)
			const fam = (await now.json()).family
			t.check(fam.postcode === 'LE3 0BQ', `the postcode is ${fam.postcode}, expected LE3 0BQ`)
			t.check(fam.home_language === 'Polish', `the home language is ${fam.home_language}`)
			t.check(fam.history.length === earlier + 1,
				`the history has ${fam.history.length} rows, expected ${earlier + 1}`)
			const hist = page.locator('#family-history')
			t.check(await hist.count() === 1, 'no "Earlier addresses and languages" on the case page')
			await hist.locator('summary').click()
			t.check(!was.address || (await hist.innerText()).includes(was.address.split(',')[0]),
				`the replaced address "${was.address}" is not in the history table`)
			await t.axe(page, `/cases/${ref} (family details changed)`)
		} finally {
			await context.close()
		}
	})

	await t.test('caseload settings: the coordinator changes the default maximum caseload',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator', { home: false })
			await page.goto(`${t.base}/workers`)
			t.check(/Default maximum caseload: 16 standard cases/.test(
				await page.locator('#default-max').innerText()), 'the pool page does not show the demo\'s 16')
			await page.locator('#default-max a').click()
			await page.waitForURL(`${t.base}/settings/caseload`)
			t.check(await t.h1Text(page) === 'Default maximum caseload', 'the heading is wrong')

			await page.getByLabel('Default maximum caseload').fill('twelve')
			await page.getByRole('button', { name: 'Save the default maximum caseload' }).click()
			await page.waitForLoadState()
			const summary = page.locator('.govuk-error-summary')
			t.check(await summary.count() === 1, 'no error summary for "twelve"')
			t.check(await summary.locator('a[href="#max_caseload"]').count() === 1,
				'the error summary does not link to the field')
			await t.axe(page, '/settings/caseload (error)')

			await page.getByLabel('Default maximum caseload').fill('17')
			await page.getByRole('button', { name: 'Save the default maximum caseload' }).click()
			await page.waitForURL(`${t.base}/settings/caseload?done=1`)
			t.check(/^17 standard cases/.test(await page.locator('#now-max_caseload').innerText()),
				'the page does not show 17 in force')
			await t.axe(page, '/settings/caseload')
			await page.goto(`${t.base}/workers`)
			t.check(/Default maximum caseload: 17 standard cases/.test(
				await page.locator('#default-max').innerText()), 'the pool page does not show 17')

			await page.goto(`${t.base}/settings/caseload`)
			await page.getByLabel('Default maximum caseload').fill('16')
			await page.getByRole('button', { name: 'Save the default maximum caseload' }).click()
			await page.waitForURL(`${t.base}/settings/caseload?done=1`)
			t.check(/^16 standard cases/.test(await page.locator('#now-max_caseload').innerText()),
				'the demo\'s 16 is not back')
		} finally {
			await context.close()
		}
	})
}
