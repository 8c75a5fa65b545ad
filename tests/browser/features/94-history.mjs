// 94-history.mjs — history from before Hearth, in the browser.  The admin
// opens /history: the heading, what history holds, the upload form and the
// columns.  Sending the form without a file comes back with the GOV.UK
// error summary naming the file field.  Uploading a small file with one
// wrong row lands on the load's report: "Loaded", the counts, and the
// wrong row listed with its line and column; the list of loads shows it.
// Every page passes axe.  The coordinator is refused (403).

export default async function (t) {
	await t.test('history: the admin loads a file, sees its report and the row it refused',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'admin', { home: false })
			await page.goto(`${t.base}/history`)
			t.check(await t.h1Text(page) === 'History from before Hearth',
				'the heading is not "History from before Hearth"')
			t.check(await page.locator('#totals').count() === 1, 'no line saying what history holds')
			await page.locator('#columns summary').click()
			t.check(await page.locator('#columns code', { hasText: 'case_ref' }).count() === 1,
				'the columns are not listed')
			await t.axe(page, '/history')

			// no file: the error summary names the field
			await page.getByRole('button', { name: 'Load' }).click()
			t.check(await page.locator('.govuk-error-summary').count() === 1, 'no error summary')
			t.check(await page.locator('.govuk-error-summary a[href="#file"]').count() === 1,
				'the error summary does not link to the file field')
			await t.axe(page, '/history (error)')

			// a file with one wrong row (a closure without its reason)
			const stamp = Date.now()
			const csv = 'case_ref,family_ref,school_urn,upn,worker,event,date,source,reason,amount,detail\n' +
				`BR-${stamp}-1,BRF-1,,,Jo Smith,referred,2021-01-06,school,,,\n` +
				`BR-${stamp}-1,,,,,accepted,2021-01-07,,,,\n` +
				`BR-${stamp}-1,,,,,commission,2021-02-01,,,250.00,Mediation\n` +
				`BR-${stamp}-1,,,,,closed,2021-05-01,,outcomes_met,,\n` +
				`BR-${stamp}-2,BRF-2,,,,referred,2021-01-06,agency,,,\n` +
				`BR-${stamp}-2,,,,,closed,2021-03-01,,,,\n`
			await page.locator('#file').setInputFiles({ name: 'browser-history.csv',
				mimeType: 'text/csv', buffer: Buffer.from(csv) })
			await page.getByRole('button', { name: 'Load' }).click()
			await page.waitForURL(/\/history\/\d+$/)
			const h1 = await t.h1Text(page)
			t.check(/^History load \d+\s+Loaded$/.test(h1.trim()), `the report's heading: ${h1}`)
			const report = await page.locator('#report').innerText()
			t.check(/Events loaded\s+4/.test(report), `4 events loaded? ${report}`)
			t.check(/Rows not loaded\s+2/.test(report), `2 rows not loaded? ${report}`)
			const err = await page.locator('#row-errors tbody tr').allInnerTexts()
			t.check(err.length === 1, `one problem listed, got ${err.length}`)
			t.check(/^7\s+reason\s+reason: a closure needs its reason/.test(err[0]),
				`the problem names line 7 and the reason column: ${err[0]}`)
			await t.axe(page, '/history/N')
			await t.shot(page, 'history-load')

			await page.getByRole('link', { name: 'History from before Hearth' }).click()
			await page.waitForURL(`${t.base}/history`)
			const first = await page.locator('#loads tbody tr').first().innerText()
			t.check(first.includes('browser-history.csv') && first.includes('Loaded'),
				`the newest load is not listed first: ${first}`)
		} finally {
			await context.close()
		}
	})

	await t.test('history: the coordinator may not load history', ['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const res = await page.goto(`${t.base}/history`)
			t.check(res.status() === 403, `coordinator got ${res.status()}`)
		} finally {
			await context.close()
		}
	})
}
