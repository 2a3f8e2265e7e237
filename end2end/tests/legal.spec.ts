import { Page, Browser } from '@playwright/test';
import { test, expect, approvedDriver, masked, memberSignsInAt, messagesTo, signIn, newPage, ADMIN_PASSWORD } from './fixtures';

const STATION = '货运行业法律援助工作站';

/** Opening /legal asks for a member session; the code comes by SMS; back on /legal after. */
async function memberSignsIn(page: Page, phone: string, codeAt: number) {
  await memberSignsInAt(page, '/legal', phone, codeAt);
  await expect(page.getByRole('heading', { name: '法律援助 · 律师预约' })).toBeVisible();
}

/** The city admin opens the freight federation's workstation (once), adds a lawyer and puts
 * them on duty every day at one time with one seat. Returns the lawyer's name and username. */
async function cityAdminSetsUpTheRota(city: Page, tag: string, time: string): Promise<{ lawyer: string, username: string }> {
  const lawyer = `律${tag}`, username = `lawyer_${tag}`;
  await signIn(city, 'e2e_city');
  await city.goto('/admin/legal');
  if (!(await city.getByRole('link', { name: STATION }).count())) {
    await city.getByText('新建工作站', { exact: true }).click();
    await city.getByLabel('所属工会').selectOption({ label: '· 蚌埠市道路货物运输行业工会联合会' });
    await city.getByLabel('工作站名称').fill(STATION);
    await city.locator('form[action="/admin/legal/stations"]').getByRole('button', { name: '保存' }).click();
  } else {
    await city.getByRole('link', { name: STATION }).click();
  }
  await expect(city.getByRole('heading', { name: new RegExp(STATION) })).toBeVisible();
  await city.getByText('新增律师账号', { exact: true }).click();
  await city.getByLabel('律师姓名').fill(lawyer);
  await city.getByLabel('用户名').fill(username);
  await city.getByLabel('密码').fill(ADMIN_PASSWORD);
  await city.locator('form[action$="/lawyers"]').getByRole('button', { name: '保存' }).click();
  await expect(city.getByText('已保存。')).toBeVisible();
  for (let weekday = 1; weekday <= 7; weekday++) {
    const form = city.locator(`form[data-weekday="${weekday}"]`);
    await form.getByLabel('律师').selectOption({ label: lawyer });
    await form.getByLabel('时段').fill(time);
    await form.getByRole('button', { name: '保存' }).click();
    await expect(city.getByText('已保存。')).toBeVisible();
  }
  return { lawyer, username };
}

test.describe('legal aid', () => {
  test.skip(!ADMIN_PASSWORD, 'the legal-aid specs need the admins made by scripts/test.sh');

  test('one member books the last lawyer slot while another browser is refused it; a written question answered by the lawyer shows on the member page', async ({ page, browser }, info) => {
    test.setTimeout(300_000);
    const tag = `${Date.now() % 1_000_000}${info.project.name.length}`;
    // A time of its own for this run (06:00–21:59), one seat.
    const time = `${String(6 + Math.floor(Math.random() * 16)).padStart(2, '0')}:${String(Math.floor(Math.random() * 60)).padStart(2, '0')}`;
    const city = await newPage(browser, info.project.use);
    const { lawyer, username } = await cityAdminSetsUpTheRota(city, tag, time);
    await city.context().close();

    // Two drivers join and are approved; each signs in on their own phone.
    const first = await approvedDriver(page, browser, info.project.use);
    const other = await newPage(browser, info.project.use);
    const second = await approvedDriver(other, browser, info.project.use);
    await memberSignsIn(page, first.phone, first.codeAt);
    await memberSignsIn(other, second.phone, second.codeAt);

    // Both see the slot with one seat left; the second picks it and types a topic first.
    const label = new RegExp(`${time} · ${lawyer} · 余1位`);
    const slot = page.getByLabel(label).first();
    const key = await slot.getAttribute('value');
    expect(key).toBeTruthy();
    await other.locator(`input[name="slot"][value="${key}"]`).check();
    await other.getByLabel(/咨询事项/).fill('交通事故赔偿');

    // The first books it.
    await slot.check();
    await page.getByLabel(/咨询事项/).fill('拖欠运费');
    await page.getByRole('button', { name: '预约', exact: true }).click();
    await expect(page.getByText('预约成功')).toBeVisible();
    await expect(page.getByRole('list', { name: '我的预约' })).toContainText('拖欠运费');
    await expect.poll(() => messagesTo(first.phone).filter((m) => m.template === 'legal_booked').length, { timeout: 20_000 }).toBe(1);

    // The second is refused beside the slot, the topic kept.
    await other.getByRole('button', { name: '预约', exact: true }).click();
    await expect(other.getByText('该时段已约满，请选择其他时段。')).toBeVisible();
    await expect(other.getByLabel(/咨询事项/)).toHaveValue('交通事故赔偿');
    await expect(other.locator(`input[name="slot"][value="${key}"]`)).toBeDisabled();
    expect(messagesTo(second.phone).filter((m) => m.template === 'legal_booked')).toHaveLength(0);
    await other.context().close();

    // A written question.
    const question = `车队拖欠我两个月运费（${tag}），没有签合同，该怎么办？`;
    await page.getByRole('link', { name: '法律咨询 · 书面提问' }).click();
    await page.getByLabel('问题类别（选填）').selectOption({ label: '欠薪、运费结算' });
    await page.getByLabel('咨询内容').fill(question);
    await page.getByRole('button', { name: '提交咨询' }).click();
    await expect(page.getByText('咨询已提交')).toBeVisible();
    const mine = page.getByRole('list', { name: '我的咨询' }).locator('li', { hasText: question });
    await expect(mine).toContainText('等待律师答复');
    const id = await mine.getAttribute('data-question');

    // The lawyer, on their own desk, answers in writing.
    const desk = await newPage(browser, info.project.use);
    await desk.goto('/admin/login');
    await desk.getByLabel('用户名').fill(username);
    await desk.getByLabel('密码').fill(ADMIN_PASSWORD);
    await desk.getByRole('button', { name: '登录' }).click();
    await expect(desk.getByRole('heading', { name: '律师工作台' })).toBeVisible();
    await desk.locator(`a[href="/lawyer/questions/${id}"]`).click();
    await expect(desk.getByText(question)).toBeVisible();
    const answer = `请保留运单和转账记录（${tag}），可向劳动监察投诉或申请仲裁。`;
    await desk.getByLabel('律师答复').fill(answer);
    await desk.getByRole('button', { name: '发送答复' }).click();
    await expect(desk.getByText('答复已发送')).toBeVisible();
    // Union screens do not exist for a lawyer.
    await desk.goto('/admin');
    await expect(desk.getByRole('heading', { name: '页面不存在' })).toBeVisible();
    await desk.context().close();

    // The member sees the answer and gets the SMS.
    await page.goto('/legal');
    await expect(page.getByRole('list', { name: '我的咨询' }).locator('li', { hasText: question })).toContainText(answer);
    await expect.poll(() => messagesTo(first.phone).filter((m) => m.template === 'legal_answered').length, { timeout: 20_000 }).toBe(1);
  });
});
