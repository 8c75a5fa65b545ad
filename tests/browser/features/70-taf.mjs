// 70-taf.mjs — Team Around the Family meetings, in the browser.  The demo
// worker Sam Whitfield opens a family from "My caseload"; the family record
// has a "Team Around the Family meetings" section.  Sam arranges a meeting
// with no place (the error summary names the field), then properly (today,
// at the multi-agency centre), lands on the meeting page, invites a member
// of the family, tries to record the meeting with nobody ticked (refused:
// "no attendee"), then records it as held with minutes.  The directory and
// the demo agency user's home (/taf: only their meetings and actions) load
// with one <h1>.  Every page passes axe.

const STAMP = Date.now().toString(36)

function today() {
	const d = new Date()
	const p = n => String(n).padStart(2, '0')
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

export default async function (t) {
	await t.test('taf: arrange a meeting (errors named), invite, record it as held',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}/caseload`)
			const href = await page.locator('#caseload tbody tr a').first().getAttribute('href')
			t.check(/^\/cases\/C-\d{6}$/.test(href || ''), `case link ${href}`)
			await page.goto(`${t.base}${href}`)
			t.check(await page.locator('#taf').innerText() === 'Team Around the Family meetings',
				'no TAF section on the family record')

			// No place: the form comes back with the error named.
			await page.getByText('Arrange a Team Around the Family meeting', { exact: true }).click()
			await page.locator('#schedule-date').fill(today())
			await page.locator('#schedule-time').fill('00:00')
			await page.getByRole('button', { name: 'Arrange meeting' }).click()
			await page.locator('.govuk-error-summary a[href="#schedule-place"]').waitFor({ state: 'visible' })
			await t.axe(page, 'arrange a meeting, with an error')

			const place = `Multi-agency centre, Ratae Academy (${STAMP})`
			await page.getByLabel('Place').fill(place)
			await page.getByRole('button', { name: 'Arrange meeting' }).click()
			await page.waitForURL(/\/taf\/meetings\/\d+\?done=scheduled$/)
			t.check(await t.h1Text(page) === 'Team Around the Family meeting', 'not the meeting page')
			t.check(await page.getByText(place).count() >= 1, 'the place is not shown')
			await t.axe(page, 'meeting page')

			// Invite a member of the family.
			await page.getByText('Invite someone', { exact: true }).click()
			const member = await page.locator('#invite-invitee optgroup[label="The family"] option').first()
				.getAttribute('value')
			t.check(/^family:\d+$/.test(member || ''), 'no family member to invite')
			await page.locator('#invite-invitee').selectOption(member)
			await page.getByRole('button', { name: 'Invite', exact: true }).click()
			await page.waitForURL(/\?done=invited$/)
			t.check(await page.locator('#invitees ~ table tbody tr').count() >= 2, 'invitee not listed')

			// Nobody ticked: refused.
			await page.getByText('Record the meeting as held', { exact: true }).click()
			await page.locator('#record-minutes').fill('We agreed a plan.')
			await page.getByRole('button', { name: 'Record as held' }).click()
			await page.locator('.govuk-error-summary a[href="#record-attended"]').waitFor({ state: 'visible' })
			t.check(/no attendee/.test(await page.locator('.govuk-error-summary').innerText()),
				'the error does not say there was no attendee')
			await t.axe(page, 'record a meeting, with an error')

			await page.locator('#record-attended').check()
			await page.locator('#record-minutes').fill(`Everyone agreed the plan (${STAMP})`)
			await page.getByRole('button', { name: 'Record as held' }).click()
			await page.waitForURL(/\?done=held$/)
			t.check(await page.getByText('Meeting recorded as held').count() === 1, 'no success banner')
			t.check(await page.getByText(`Everyone agreed the plan (${STAMP})`).count() === 1, 'no minutes')
			await t.shot(page, 'taf-meeting')

			await page.goto(`${t.base}/agencies`)
			t.check(await t.h1Text(page) === 'Agencies and professionals', 'not the directory')
			await t.axe(page, 'directory')
		} finally {
			await context.close()
		}
	})

	await t.test('taf: the agency user sees only their meetings and actions',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'agency', { home: false })
			await page.goto(`${t.base}/taf`)
			t.check(await t.h1Text(page) === 'Your Team Around the Family work', 'not the agency home')
			t.check(await page.locator('h1').count() === 1, 'more than one h1')
			const resp = await page.goto(`${t.base}/cases`)
			t.check(resp.status() === 403, `cases list gave ${resp.status()}, not 403`)
			await page.goto(`${t.base}/taf`)
			await t.axe(page, 'agency home')
			await t.shot(page, 'taf-agency-home')
		} finally {
			await context.close()
		}
	})
}
