-- The service hall (服务大厅): modules and services are rows the city admin edits from the
-- browser (no release); requests made from a service's form, their steps, their attachments
-- (files stored outside the database under their SHA-256; here only what each file is) and the
-- deadline engine's recorded steps. The city's initial catalogue is seeded below.

CREATE TABLE hall_modules (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    position BIGINT NOT NULL
);

-- audience: member | anyone (anyone: members, and walk-ins an admin files for).
-- occupations: comma-separated occupation codes; empty means every occupation.
-- handler: own (the member's union) | county (its county federation) | city | named (handler_org_id).
-- fields: JSON list of {key, label, kind, required, options, hint}; kind is one of text,
--   number, date, choice, yesno, phone, id_number, amount, attachment.
-- sms_steps: comma-separated steps that send the member an SMS.
-- link: a service with pages of its own (joining, legal aid, events, libraries): the hall
--   sends the member there instead of showing a form.
-- sensitive: hardship-type files: answers seen only by the handling union's managers, each view audited.
CREATE TABLE hall_services (
    id @ID@,
    module_id BIGINT NOT NULL REFERENCES hall_modules (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    audience TEXT NOT NULL,
    occupations TEXT NOT NULL DEFAULT '',
    handler TEXT NOT NULL,
    handler_org_id BIGINT REFERENCES orgs (id),
    fields TEXT NOT NULL,
    promise_days BIGINT NOT NULL,
    sms_steps TEXT NOT NULL,
    link TEXT,
    sensitive BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX hall_services_module ON hall_services (module_id, position);

-- status: received, accepted, in_progress, more_needed, done, declined.
-- answers: the form's answers as JSON, sealed (AEAD, the row's identity as associated data).
-- member_id is null for a walk-in an admin filed for; then phone and name_masked say who.
-- submission_key: the form's one-time key, so a post sent twice makes one request.
CREATE TABLE hall_requests (
    id @ID@,
    service_id BIGINT NOT NULL REFERENCES hall_services (id),
    member_id BIGINT REFERENCES members (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    status TEXT NOT NULL,
    answers TEXT NOT NULL,
    name_masked TEXT NOT NULL,
    phone TEXT,
    filed_by BIGINT REFERENCES admins (id),
    submission_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    erased_at BIGINT
);
CREATE INDEX hall_requests_queue ON hall_requests (org_id, status, due_at);
CREATE INDEX hall_requests_member ON hall_requests (member_id, created_at);

-- Every step, with who took it and the note shown to the member (a reason, what is missing).
CREATE TABLE hall_steps (
    id @ID@,
    request_id BIGINT NOT NULL REFERENCES hall_requests (id),
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    admin_id BIGINT REFERENCES admins (id),
    at BIGINT NOT NULL
);
CREATE INDEX hall_steps_request ON hall_steps (request_id, id);

-- An attachment of a request: the file lies under its SHA-256 in the data directory.
CREATE TABLE hall_files (
    id @ID@,
    request_id BIGINT NOT NULL REFERENCES hall_requests (id),
    field TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX hall_files_request ON hall_files (request_id);
CREATE INDEX hall_files_hash ON hall_files (sha256);

-- The deadline engine's steps: (request, level) once — 0 reminder, 1.. escalation (督办).
CREATE TABLE hall_escalations (
    request_id BIGINT NOT NULL REFERENCES hall_requests (id),
    level BIGINT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (request_id, level)
);

INSERT INTO hall_modules (code, name, position) VALUES
    ('join', '入会服务', 1),
    ('hardship', '困难帮扶', 2),
    ('medical', '医疗互助', 3),
    ('legal', '法律援助', 4),
    ('skills', '技能提升', 5),
    ('culture', '文体活动', 6),
    ('models', '劳模风采', 7);

-- The city's initial services. Each is (module, code, name, summary, audience, handler, fields,
-- promise in working days, steps that send an SMS, link, sensitive, position).
INSERT INTO hall_services (module_id, code, name, summary, audience, handler, fields, promise_days, sms_steps, link, sensitive, position, updated_at)
SELECT m.id, s.code, s.name, s.summary, s.audience, s.handler, s.fields, s.promise_days, s.sms_steps, s.link, s.sensitive, s.position, 0
FROM hall_modules m JOIN (
    SELECT 'join' AS module, 'join' AS code, '申请入会' AS name, '扫码或在线填写一屏信息，一个工作日内审核，短信通知结果。' AS summary, 'anyone' AS audience, 'own' AS handler, '[]' AS fields, 1 AS promise_days, '' AS sms_steps, '/join' AS link, 0 AS sensitive, 1 AS position
    UNION ALL SELECT 'join', 'transfer', '会籍接转', '换了工作单位，申请把会籍转到新单位的工会，会员号不变。', 'member', 'own', '[]', 5, '', '/me/data#transfer', 0, 2
    UNION ALL SELECT 'join', 'card_reissue', '会员卡补办', '实体会员卡遗失或损坏，申请补办（电子会员卡随时可用）。', 'member', 'own',
        '[{"key":"reason","label":"补办原因","kind":"choice","required":true,"options":["遗失","损坏","信息变更"]},{"key":"address","label":"邮寄地址","kind":"text","required":true,"hint":"省市区、街道、门牌号"}]', 5, 'received,accepted,done,declined,more_needed', NULL, 0, 3
    UNION ALL SELECT 'join', 'my_data', '会员信息变更', '修改姓名、车牌、手机号，下载本人数据。', 'member', 'own', '[]', 1, '', '/me/data', 0, 4
    UNION ALL SELECT 'hardship', 'hardship_file', '困难职工建档', '家庭困难的职工申请建立困难职工档案，建档后可获得定期生活、医疗、助学救助。', 'member', 'county',
        '[{"key":"id_number","label":"身份证号","kind":"id_number","required":true},{"key":"household","label":"家庭人口（人）","kind":"number","required":true},{"key":"income","label":"家庭月收入（元）","kind":"amount","required":true},{"key":"cause","label":"主要困难原因","kind":"choice","required":true,"options":["本人或家属患病","伤残","子女上学","失业","遭受灾害","其他"]},{"key":"details","label":"家庭情况说明","kind":"text","required":true,"hint":"病情、家庭成员、收入来源等"},{"key":"proof","label":"证明材料（照片或PDF）","kind":"attachment","required":false}]', 10, 'received,accepted,done,declined,more_needed', NULL, 1, 1
    UNION ALL SELECT 'hardship', 'living_aid', '生活救助', '因病、因灾等原因生活暂时困难，申请生活救助金。', 'member', 'county',
        '[{"key":"amount","label":"申请金额（元）","kind":"amount","required":true},{"key":"reason","label":"困难情况","kind":"text","required":true},{"key":"proof","label":"证明材料","kind":"attachment","required":false}]', 10, 'received,accepted,done,declined,more_needed', NULL, 1, 2
    UNION ALL SELECT 'hardship', 'medical_aid', '医疗救助', '本人或家属住院、大额医疗费用，申请医疗救助。', 'member', 'county',
        '[{"key":"patient","label":"患者与本人关系","kind":"choice","required":true,"options":["本人","配偶","子女","父母"]},{"key":"hospital","label":"就诊医院","kind":"text","required":true},{"key":"diagnosis","label":"诊断","kind":"text","required":true},{"key":"admitted","label":"入院日期","kind":"date","required":true},{"key":"cost","label":"个人自付金额（元）","kind":"amount","required":true},{"key":"bills","label":"医疗票据或诊断证明（照片或PDF）","kind":"attachment","required":true}]', 10, 'received,accepted,in_progress,done,declined,more_needed', NULL, 1, 3
    UNION ALL SELECT 'hardship', 'education_aid', '子女助学', '困难职工子女入学，申请金秋助学金。', 'member', 'county',
        '[{"key":"child","label":"子女姓名","kind":"text","required":true},{"key":"school","label":"就读学校","kind":"text","required":true},{"key":"stage","label":"学段","kind":"choice","required":true,"options":["小学","初中","高中","中职","大学专科","大学本科"]},{"key":"notice","label":"录取通知书或学籍证明","kind":"attachment","required":true}]', 10, 'received,accepted,done,declined,more_needed', NULL, 1, 4
    UNION ALL SELECT 'hardship', 'festival_visit', '两节送温暖', '元旦、春节期间对困难职工家庭走访慰问。', 'member', 'own',
        '[{"key":"situation","label":"家庭情况","kind":"text","required":true},{"key":"address","label":"家庭住址","kind":"text","required":true},{"key":"contact","label":"联系电话","kind":"phone","required":true}]', 5, 'received,accepted,done', NULL, 1, 5
    UNION ALL SELECT 'hardship', 'job_help', '就业援助', '失业或想换工作，申请岗位推荐和招聘会信息。', 'member', 'county',
        '[{"key":"wanted","label":"意向岗位","kind":"text","required":true},{"key":"licence","label":"驾驶证准驾车型","kind":"choice","required":false,"options":["A1","A2","B1","B2","C1","无"]},{"key":"years","label":"从业年限（年）","kind":"number","required":false}]', 5, 'received,accepted,done', NULL, 0, 6
    UNION ALL SELECT 'medical', 'mutual_claim', '互助保障理赔', '参加职工医疗互助保障的会员，住院后申请互助金。', 'member', 'county',
        '[{"key":"hospital","label":"就诊医院","kind":"text","required":true},{"key":"admitted","label":"入院日期","kind":"date","required":true},{"key":"discharged","label":"出院日期","kind":"date","required":true},{"key":"cost","label":"住院总费用（元）","kind":"amount","required":true},{"key":"bills","label":"出院小结和票据","kind":"attachment","required":true}]', 10, 'received,accepted,in_progress,done,declined,more_needed', NULL, 1, 1
    UNION ALL SELECT 'medical', 'injury_visit', '工伤慰问', '会员因工受伤，工会上门或电话慰问。', 'member', 'own',
        '[{"key":"injured","label":"受伤日期","kind":"date","required":true},{"key":"what","label":"受伤经过","kind":"text","required":true},{"key":"hospital","label":"现所在医院或住址","kind":"text","required":true},{"key":"certified","label":"是否已申请工伤认定","kind":"yesno","required":true}]', 3, 'received,accepted,done', NULL, 0, 2
    UNION ALL SELECT 'medical', 'critical_illness', '大病救助', '会员患重大疾病，申请大病救助金。', 'member', 'city',
        '[{"key":"diagnosis","label":"疾病名称","kind":"text","required":true},{"key":"hospital","label":"确诊医院","kind":"text","required":true},{"key":"cost","label":"个人自付金额（元）","kind":"amount","required":true},{"key":"proof","label":"诊断证明","kind":"attachment","required":true}]', 15, 'received,accepted,in_progress,done,declined,more_needed', NULL, 1, 3
    UNION ALL SELECT 'medical', 'mutual_enrol', '互助保障参保', '免费参加职工医疗互助保障（由工会出资）。', 'member', 'own',
        '[{"key":"id_number","label":"身份证号","kind":"id_number","required":true},{"key":"agree","label":"同意按互助保障章程参保","kind":"yesno","required":true}]', 5, 'received,done,declined', NULL, 0, 4
    UNION ALL SELECT 'legal', 'legal_question', '法律咨询', '写下您遇到的法律问题，值班律师书面答复。', 'member', 'city', '[]', 2, '', '/legal/ask', 0, 1
    UNION ALL SELECT 'legal', 'lawyer_booking', '律师预约', '预约法律援助工作站的值班律师面谈。', 'member', 'city', '[]', 1, '', '/legal', 0, 2
    UNION ALL SELECT 'legal', 'wage_arrears', '欠薪投诉', '被拖欠工资或运费，工会协调追讨。', 'member', 'county',
        '[{"key":"employer","label":"欠薪单位或个人","kind":"text","required":true},{"key":"owed","label":"被拖欠金额（元）","kind":"amount","required":true},{"key":"months","label":"拖欠月数","kind":"number","required":true},{"key":"contract","label":"是否签订劳动合同或运输协议","kind":"yesno","required":true},{"key":"evidence","label":"证据（照片或PDF，选填）","kind":"attachment","required":false}]', 5, 'received,accepted,in_progress,done,declined,more_needed', NULL, 0, 3
    UNION ALL SELECT 'legal', 'contract_review', '劳动合同审查', '签合同前请律师看一看。', 'member', 'city',
        '[{"key":"contract","label":"合同（照片或PDF）","kind":"attachment","required":true},{"key":"questions","label":"想问的问题","kind":"text","required":false}]', 5, 'received,accepted,done,more_needed', NULL, 0, 4
    UNION ALL SELECT 'legal', 'mediation', '劳动争议调解', '与单位发生争议，申请工会调解。', 'member', 'county',
        '[{"key":"employer","label":"对方单位","kind":"text","required":true},{"key":"dispute","label":"争议经过","kind":"text","required":true},{"key":"wish","label":"您的诉求","kind":"text","required":true}]', 5, 'received,accepted,in_progress,done,declined', NULL, 0, 5
    UNION ALL SELECT 'skills', 'training', '培训报名', '驾驶安全、职业技能等培训班报名。', 'member', 'city', '[]', 1, '', '/events?kind=training', 0, 1
    UNION ALL SELECT 'skills', 'contest', '技能竞赛报名', '职工职业技能竞赛报名。', 'member', 'city', '[]', 1, '', '/events?kind=contest', 0, 2
    UNION ALL SELECT 'skills', 'certificate_subsidy', '职业资格证书补贴', '新取得职业资格或技能等级证书，申请补贴。', 'member', 'city',
        '[{"key":"certificate","label":"证书名称","kind":"text","required":true},{"key":"level","label":"等级","kind":"choice","required":true,"options":["初级工","中级工","高级工","技师","高级技师"]},{"key":"obtained","label":"取得日期","kind":"date","required":true},{"key":"fee","label":"培训考试费用（元）","kind":"amount","required":true},{"key":"scan","label":"证书照片","kind":"attachment","required":true}]', 15, 'received,accepted,done,declined,more_needed', NULL, 0, 3
    UNION ALL SELECT 'skills', 'degree_subsidy', '学历提升补助', '参加学历提升教育，申请学费补助。', 'member', 'city',
        '[{"key":"school","label":"就读学校","kind":"text","required":true},{"key":"programme","label":"专业和层次","kind":"text","required":true},{"key":"tuition","label":"学费（元）","kind":"amount","required":true},{"key":"receipt","label":"缴费凭证","kind":"attachment","required":true}]', 15, 'received,accepted,done,declined,more_needed', NULL, 0, 4
    UNION ALL SELECT 'culture', 'events', '活动报名', '工会组织的文体活动报名。', 'member', 'own', '[]', 1, '', '/events?kind=event', 0, 1
    UNION ALL SELECT 'culture', 'recuperation', '疗休养', '一线职工、劳模疗休养报名。', 'member', 'city', '[]', 1, '', '/events?kind=trip', 0, 2
    UNION ALL SELECT 'culture', 'health_check', '健康体检', '会员免费健康体检预约。', 'member', 'own', '[]', 1, '', '/events?kind=checkup', 0, 3
    UNION ALL SELECT 'culture', 'library', '职工书屋', '书屋联盟一卡通：任一书屋借，任一书屋还。', 'member', 'own', '[]', 1, '', '/library', 0, 4
    UNION ALL SELECT 'culture', 'counselling', '心理疏导', '长途驾驶压力大？预约心理咨询师。', 'member', 'city',
        '[{"key":"when","label":"希望的日期","kind":"date","required":true},{"key":"topic","label":"想聊的话题（选填）","kind":"text","required":false},{"key":"contact","label":"联系电话","kind":"phone","required":true}]', 3, 'received,accepted,done', NULL, 1, 5
    UNION ALL SELECT 'models', 'nomination', '劳模推荐', '推荐身边的先进职工参评劳动模范。', 'member', 'city',
        '[{"key":"nominee","label":"被推荐人姓名","kind":"text","required":true},{"key":"workplace","label":"工作单位","kind":"text","required":true},{"key":"deeds","label":"主要事迹","kind":"text","required":true},{"key":"contact","label":"被推荐人电话","kind":"phone","required":true}]', 20, 'received,accepted,done', NULL, 0, 1
    UNION ALL SELECT 'models', 'studio', '创新工作室申报', '劳模和工匠人才创新工作室申报。', 'member', 'city',
        '[{"key":"studio","label":"工作室名称","kind":"text","required":true},{"key":"leader","label":"领衔人","kind":"text","required":true},{"key":"size","label":"成员人数","kind":"number","required":true},{"key":"results","label":"创新成果","kind":"text","required":true},{"key":"material","label":"申报材料","kind":"attachment","required":false}]', 20, 'received,accepted,in_progress,done,declined', NULL, 0, 2
    UNION ALL SELECT 'models', 'model_care', '劳模帮扶', '生活困难的劳动模范申请帮扶。', 'member', 'city',
        '[{"key":"title","label":"劳模称号及年份","kind":"text","required":true},{"key":"situation","label":"困难情况","kind":"text","required":true},{"key":"income","label":"家庭月收入（元）","kind":"amount","required":true}]', 10, 'received,accepted,done,declined', NULL, 1, 3
) s ON s.module = m.code;
