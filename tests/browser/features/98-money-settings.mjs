// 98-money-settings.mjs — the admin's money settings, in the browser.  The
// admin opens "Money settings" from the menu, sees the hourly cost of
// worker time (£32.00 in the demo) and the approval limits in pounds,
// changes the hourly cost through the form (no JavaScript needed: a plain
// POST and a 303 back), and sees the new value on the page with a success
// banner; a bad amount shows the GOV.UK error summary linking to the field.
// The page passes axe.  The coordinator has no link and gets a 403.  The
// test puts the default back at the end, for the features after it.

export default async function (t) {
	await t.test('money settings: the admin changes the hourly cost of worker time',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'admin')
			await page.getByRole('link', { name: 'Money settings', exact: true }).click()
			await page.waitForURL(`${t.base}/settings/money`)
			t.check(await t.h1Text(page) === 'Money settings', 'the heading is not "Money settings"')
			const was = await page.locator('#now-hour').innerText()
			t.check(was === '£32.00', `the demo's hourly cost shows ${was}, expected £32.00`)
			t.check(await page.locator('#now-worker_limit').innerText() === '£250.00',
				'the worker limit is not £250.00')

			// a bad amount: the error summary names the field and links to it
			await page.getByLabel('Hourly cost of worker time').fill('12.345')
			await page.getByRole('button', { name: 'Save the money settings' }).click()
			await page.waitForLoadState()
			const summary = page.locator('.govuk-error-summary')
			t.check(await summary.count() === 1, 'no error summary for 12.345')
			const link = summary.locator('a[href="#hour"]')
			t.check(await link.count() === 1, 'the error summary does not link to the hourly cost')
			t.check(/pounds/.test(await page.locator('#hour-error').innerText()),
				'the field has no error message')
			t.check((await page.title()).startsWith('Error: '), 'the title does not start "Error: "')
			await t.axe(page, '/settings/money (error)')

			// the change, in pounds
			await page.getByLabel('Hourly cost of worker time').fill('35.50')
			await page.getByRole('button', { name: 'Save the money settings' }).click()
			await page.waitForURL(`${t.base}/settings/money?done=1`)
			t.check(/Money settings saved/.test(await page.locator('#done').innerText()),
				'no success banner')
			const now = await page.locator('#now-hour').innerText()
			t.check(now === '£35.50', `the page shows ${now} after saving £35.50`)
			t.check(await page.getByLabel('Hourly cost of worker time').inputValue() === '35.50',
				'the form does not hold the new value')
			await t.axe(page, '/settings/money')
			await t.shot(page, 'money-settings')

			// the API and the cost per family report see it
			const api = await page.request.get(`${t.base}/api/v1/costs`)
			t.check(api.status() === 200, `GET /api/v1/costs gave ${api.status()}`)
			const hour = (await api.json()).hour_pence
			t.check(hour === 3550, `cost per family uses ${hour}p an hour, expected 3550`)

			// back to the default
			await page.getByLabel('Hourly cost of worker time').fill('32.00')
			await page.getByRole('button', { name: 'Save the money settings' }).click()
			await page.waitForURL(`${t.base}/settings/money?done=1`)
			t.check(await page.locator('#now-hour').innerText() === '£32.00', 'the default is not back')
		} finally {
			await context.close()
		}
	})

	await t.test('money settings: the coordinator has no link and is refused', ['server', 'browser'],
		async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator')
			t.check(await page.getByRole('link', { name: 'Money settings', exact: true }).count() === 0,
				'the coordinator has a Money settings link')
			const r = await page.goto(`${t.base}/settings/money`)
			t.check(r.status() === 403, `GET /settings/money as the coordinator gave ${r.status()}`)
		} finally {
			await context.close()
		}
	})
}
