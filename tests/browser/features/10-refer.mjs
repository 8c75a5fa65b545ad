// 10-refer.mjs — a school leader refers a family in the browser: from a
// pupil's page, "Refer this family" opens the form with the pupil ticked;
// sending it empty shows the GOV.UK error summary naming each field; then
// the adults, needs, level of need, concern and consent are filled in (the
// consent details revealed by the "Consent given" radio) and sent; the
// referral's page confirms it and /referrals lists it as "Received".
// Every page passes axe.

const id = name => `[id="${name}"]`	// ids with dots ("consent.given_by")

export default async function (t) {
	await t.test('a school leader refers a family from a pupil page', ['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'school', { home: false })
			await page.goto(`${t.base}/pupils`)
			const first = page.locator('#risk-list a[href^="/pupils/"]').first()
			t.check(await first.count() === 1, 'the school has no pupils on /pupils')
			const name = (await first.innerText()).trim()
			await first.click()
			await page.waitForLoadState('load')
			await page.getByRole('link', { name: 'Refer this family' }).click()
			await page.waitForURL(/\/referrals\/new\?upn=/)
			t.check(await t.h1Text(page) === 'Refer a family for support', `h1 is "${await t.h1Text(page)}"`)
			const upn = new URL(page.url()).searchParams.get('upn')
			t.check(await page.locator(`input[name="upns"][value="${upn}"]`).isChecked(),
				`the pupil ${upn} is not ticked on the form`)
			t.check((await page.locator('label[for="upns"]').innerText()).includes(name),
				`the first pupil is not labelled "${name}"`)
			await t.axe(page, 'referral form')
			await t.shot(page, 'refer-form')

			// Empty: the error summary names each missing field.
			await page.getByRole('button', { name: 'Send referral' }).click()
			await page.waitForLoadState('load')
			const summary = page.locator('.govuk-error-summary')
			t.check(await summary.count() === 1, 'no error summary after sending the empty form')
			const links = await summary.locator('a').evaluateAll(as => as.map(a => a.getAttribute('href')))
			for (const f of ['#needs', '#level_of_need', '#reason', '#consent.basis'])
				t.check(links.includes(f), `error summary does not link to ${f} (has ${links.join(' ')})`)
			await t.axe(page, 'referral form with errors')
			await t.shot(page, 'refer-form-errors')

			await page.locator(id('adults.0.name')).fill('Browser Parent')
			await page.locator(id('adults.0.relationship')).selectOption('mother')
			await page.locator(id('adults.0.phone')).fill('0116 496 0999')
			await page.getByLabel('Attendance', { exact: true }).check()
			await page.getByLabel('Parenting', { exact: true }).check()
			await page.getByLabel('2: Early help – emerging').check()
			await page.getByLabel('What is the school worried about?').fill(
				'Browser test: attendance has fallen and the family is struggling.')
			await page.getByLabel('What has the school already tried?').fill('Attendance meetings.')
			await page.getByLabel('Consent given', { exact: true }).check()
			await page.locator(id('consent.given_by')).fill('Browser Parent')
			await page.locator(id('consent.relationship')).fill('mother')
			t.check(await page.getByLabel('The family support service may hold and work the case').isChecked(),
				'consent to the service is not ticked')
			await page.getByRole('button', { name: 'Send referral' }).click()
			await page.waitForURL(/\/referrals\/R-[0-9]{6}\?sent=1$/)
			const ref = pathOf(page.url()).split('/').pop()
			t.check((await page.locator('.govuk-notification-banner').innerText()).includes(`Referral ${ref} sent`),
				'no "Referral … sent" banner')
			await t.axe(page, 'referral page')
			await t.shot(page, 'refer-sent')

			await page.goto(`${t.base}/referrals`)
			const row = page.locator('#referrals tr', { has: page.locator(`a[href="/referrals/${ref}"]`) })
			t.check(await row.count() === 1, `/referrals does not list ${ref}`)
			t.check((await row.innerText()).includes('Received'), `${ref} is not "Received" on /referrals`)
			await t.axe(page, 'referrals list')
			await t.shot(page, 'referrals')
		} finally {
			await context.close()
		}
	})

	function pathOf(u) {
		return new URL(u).pathname
	}
}
