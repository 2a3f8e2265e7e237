//! Every text the user reads, in one dictionary: zh-CN by default, English selectable. Keys are
//! values (`T::…`) so errors can travel from the server to the browser and be worded there.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

macro_rules! dictionary {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum T { $($key),* }
        impl T {
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$key, Lang::Zh) => $zh, (T::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

dictionary! {
    AppName => "工会E家", "Union E-Home";
    SwitchLang => "English", "中文";
    JoinTitle => "申请加入工会", "Join the union";
    JoinIntro => "填写一屏信息，一个工作日内审核，结果短信通知。", "One screen to fill in; decided within one working day; the result comes by SMS.";
    Name => "姓名", "Name";
    IdNumber => "身份证号", "ID number";
    Phone => "手机号", "Mobile number";
    Code => "验证码", "SMS code";
    Workplace => "工作单位", "Workplace";
    Plate => "车牌号", "Plate number";
    Optional => "选填", "optional";
    GetCode => "获取验证码", "Get code";
    ResendIn => "秒后重发", "s to resend";
    Submit => "提交申请", "Submit application";
    Submitting => "正在提交…", "Submitting…";
    Consent => "我已阅读并同意《个人信息处理告知书》，同意工会为办理入会处理我填写的个人信息。", "I have read the personal-information notice and agree that the union processes the personal information I give here to handle my membership.";
    ConsentNotice => "个人信息处理告知书", "Personal information notice";
    NoFixedWorkplace => "暂无固定单位", "No fixed workplace";
    County => "所在县区", "County or district";
    CountyHint => "选择您主要工作或居住的县区，申请将进入该县区总工会的周转池。", "Pick where you mostly work or live; the application goes to that federation's turnover pool.";
    OtherCounty => "其他/外地", "Other / outside the city";
    ChooseCounty => "请选择县区", "Choose a district";
    SearchWorkplace => "搜索单位", "Search";
    WorkplaceHint => "输入单位名称中的几个字，再从结果中选择。", "Type a few characters of the name, then pick from the results.";
    NoMatches => "没有找到该单位，可换个关键词，或选择“暂无固定单位”。", "No union found; try other words or choose “No fixed workplace”.";
    FixedByChannel => "由入会渠道确定", "set by the join channel";
    Occupation => "职业", "Occupation";
    TruckDriver => "货车司机", "Truck driver";
    BirthSex => "出生日期与性别", "Birth date and sex";
    Male => "男", "male";
    Female => "女", "female";
    CodeSent => "验证码已发送，5分钟内有效。", "Code sent; valid for 5 minutes.";
    CaptchaNeeded => "发送过于频繁，请先完成图形校验。", "Too many requests from this network: please solve the picture check first.";
    CaptchaWrong => "图形校验答案不正确，请重试。", "Wrong answer to the picture check; try again.";
    JsOffNote => "", "";
    FixBelow => "请按提示修改后再提交。", "Please correct the fields marked below.";
    NetworkError => "网络不稳定，未能提交。您填写的内容已保留，请稍后重试。", "The network failed; your input is kept. Please try again.";
    ServerError => "系统繁忙，请稍后重试。您填写的内容已保留。", "The system is busy; your input is kept. Please try again.";
    AlreadyApplied => "已有申请。我们已将查询进度的链接再次发送到登记的手机号。", "An application already exists. The status link has been sent again to the phone on file.";
    ErrNameEmpty => "请填写姓名", "Please enter your name";
    ErrNameLength => "姓名应为2至30个字", "A name has 2 to 30 characters";
    ErrNameChars => "姓名只能包含汉字、字母和间隔号“·”", "Use Chinese characters, letters and “·” only";
    ErrIdEmpty => "请填写身份证号", "Please enter your ID number";
    ErrIdLegacy => "15位身份证已停用，请填写18位身份证号", "15-digit IDs expired; enter the 18-digit number";
    ErrIdLength => "身份证号应为18位", "An ID number has 18 characters";
    ErrIdChars => "身份证号只能是数字，最后一位可以是X", "Digits only; the last may be X";
    ErrIdRegion => "身份证号开头的地区码不正确", "The region code at the start is not valid";
    ErrIdDate => "身份证号中的出生日期不存在", "The birth date in the number does not exist";
    ErrIdBefore1900 => "身份证号中的出生年份不正确（须在1900年以后）", "The birth year must be after 1900";
    ErrIdFuture => "身份证号中的出生日期晚于今天", "The birth date is in the future";
    ErrIdUnder16 => "未满16周岁，暂不能入会", "Members must be at least 16";
    ErrIdCheck => "身份证号校验位不对，请逐位核对", "The check digit does not match; please check each digit";
    ErrPhoneEmpty => "请填写手机号", "Please enter your mobile number";
    ErrPhoneInvalid => "请填写11位中国大陆手机号", "Enter an 11-digit mainland mobile number";
    ErrCodeEmpty => "请填写短信验证码", "Please enter the SMS code";
    ErrCodeFormat => "验证码是6位数字", "The code has 6 digits";
    ErrCodeWrong => "验证码不正确", "The code is not correct";
    ErrCodeExpired => "验证码已失效，请重新获取", "The code has expired; get a new one";
    ErrCodeMissing => "请先点击“获取验证码”", "Tap “Get code” first";
    ErrCodeTooMany => "验证码错误次数过多，请重新获取", "Too many wrong tries; get a new code";
    ErrTooSoon => "发送太频繁，请1分钟后再试", "Please wait a minute before asking again";
    ErrHourLimit => "该号码1小时内获取验证码次数过多，请稍后再试", "Too many codes for this number this hour; try later";
    ErrDayLimit => "该号码今天获取验证码次数已达上限，请明天再试", "Daily code limit reached for this number; try tomorrow";
    ErrIpLimit => "当前网络请求过多，请稍后再试", "Too many requests from this network; try later";
    ErrWorkplace => "请选择工作单位，或选择“暂无固定单位”", "Choose your workplace or “No fixed workplace”";
    ErrCounty => "请选择所在县区", "Choose your county or district";
    ErrPlateProvince => "车牌号应以省份简称开头，如“皖”", "A plate starts with the province character, e.g. 皖";
    ErrPlateInvalid => "车牌号格式不正确，如 皖C12345、皖C1234挂", "Not a valid plate, e.g. 皖C12345";
    ErrConsent => "请阅读并勾选同意个人信息处理", "Please read and tick the consent box";
    ErrChannel => "入会渠道已关闭，请直接选择工作单位", "This join channel is closed; choose your workplace";
    StatusTitle => "入会申请进度", "Application status";
    StatusNotFound => "链接无效或已过期。", "This link is not valid.";
    StatusLinkExpired => "此查询链接已失效：审核结束90天后，链接不再显示申请信息。如需帮助，请联系所在工会。", "This status link has expired: 90 days after the decision a link no longer shows the application. Ask your union if you need help.";
    CaptchaDigitsLabel => "请输入图中的5位数字", "Type the five digits in the picture";
    StatusPending => "待审核", "Awaiting review";
    StatusApproved => "已通过", "Approved";
    StatusRejected => "未通过", "Not approved";
    StatusReturned => "退回补充", "Returned for correction";
    StepSubmitted => "已提交", "Submitted";
    StepReview => "工会审核", "Union review";
    StepResult => "审核结果", "Result";
    ReviewingUnion => "审核单位", "Reviewing union";
    TurnoverPool => "周转池", "turnover pool";
    DueBy => "承诺办结时间", "Decision due by";
    Provisional => "（节假日安排未公布，时间为预估）", "(holiday schedule not yet published: estimate)";
    SubmittedAt => "提交时间", "Submitted at";
    SmsWillTell => "审核结果将以短信通知您。请保存本页链接。", "You will get the result by SMS. Keep this page's link.";
    HomeTitle => "工会E家", "Union E-Home";
    HomeIntro => "新就业形态劳动者的工会之家。扫码或点击下方按钮，手机上一屏完成入会申请。", "The union home for workers of new forms of employment: join from your phone on one screen.";
    PosterTitle => "扫码加入工会", "Scan to join the union";
    PosterSteps => "手机扫码 → 填写一屏信息 → 一个工作日内审核 → 短信通知结果", "Scan → fill one screen → decided within one working day → result by SMS";
    PosterPrint => "用浏览器菜单中的“打印”打印本页（A4）。", "Print this page with your browser's Print command (A4).";
    NotFound => "页面不存在", "Page not found";
    ErrorTitle => "无法完成请求", "The request could not be completed";
    Busy => "系统繁忙，请稍后重试。", "The system is busy, please try again.";
    Forbidden => "拒绝访问。", "Forbidden.";
    FormTooLarge => "表单内容过长，请删减后再提交。", "The form is too large: shorten it and send again.";
    FormMalformed => "表单格式不正确，请返回重新填写。", "The form could not be read: go back and fill it in again.";
    UnknownAction => "未知操作。", "Unknown action.";
    ProtectedFields => "这些内容不能由申请人修改。", "These fields cannot be changed by the applicant.";
    BackHome => "返回首页", "Back to home";
    Channel => "入会渠道", "Join channel";
    RoleReviewer => "审核员", "Reviewer";
    RoleManager => "工会管理员", "Union manager";
    RoleCityAdmin => "市级管理员", "City admin";
    RoleLeader => "领导（只读）", "Leader (read-only)";
    AdminLogin => "管理员登录", "Admin sign-in";
    Username => "用户名", "Username";
    Password => "密码", "Password";
    SignIn => "登录", "Sign in";
    SignOut => "退出", "Sign out";
    LoginRefused => "用户名或密码不正确", "Wrong username or password";
    LoginCaptcha => "失败次数较多，请先完成图形校验", "Several failures: please solve the picture check";
    Queue => "审核队列", "Review queue";
    Admins => "管理员", "Admins";
    Audit => "审计记录", "Audit trail";
    Filter => "筛选", "Filter";
    AllUnions => "全部单位", "All unions";
    Status => "状态", "Status";
    AllStatuses => "全部", "All";
    OnlyOverdue => "只看逾期", "Overdue only";
    From => "起始日期", "From";
    To => "截止日期", "To";
    SearchNamePhone => "姓名或手机号", "Name or phone";
    Approve => "通过", "Approve";
    Reject => "驳回", "Reject";
    ReturnForCorrection => "退回补充", "Return for correction";
    Undo => "撤销", "Undo";
    Details => "详情", "Details";
    ApproveSelected => "批量通过所选", "Approve selected";
    Select => "选择", "Select";
    Reason => "理由", "Reason";
    ReasonNeeded => "驳回或退回须填写理由", "A reason is needed to reject or return";
    NotPending => "该申请已被处理", "This application was already decided";
    Decided => "已处理", "Decided";
    UndoHint => "短信将在10秒后发出，发出前可撤销。", "The SMS goes out in 10 s; undo before then.";
    UndoTooLate => "已无法撤销：短信已发出。", "Too late to undo: the SMS has gone out.";
    UndoDone => "已撤销，申请回到待审核。", "Undone: the application is pending again.";
    NothingHere => "没有符合条件的申请。", "No applications match.";
    Checks => "系统核验", "Checks";
    CheckIdValid => "身份证号校验", "ID number check";
    CheckAge => "年龄", "Age";
    CheckDuplicates => "同一身份证的其他申请", "Other applications, same ID";
    Channel2 => "渠道", "Channel";
    None2 => "无", "none";
    Passed => "通过", "passed";
    BulkDone => "批量通过", "Bulk approved";
    Skipped => "跳过", "skipped";
    NewAdmin => "新增管理员", "New admin";
    DisplayName => "姓名", "Name";
    Union => "所属工会", "Union";
    Roles => "角色", "Roles";
    Create => "创建", "Create";
    Disable => "停用", "Disable";
    Disabled => "已停用", "Disabled";
    LastActive => "最近活动", "Last active";
    AdminCreated => "管理员已创建", "Admin created";
    AdminRefused => "无权进行该操作（只能在本单位范围内、授予自己拥有的角色）", "Not allowed: only inside your union's subtree, and only roles you hold";
    UsernameTaken => "用户名已存在", "That username is taken";
    PasswordTooShort => "密码至少10位", "A password has at least 10 characters";
    ChainOk => "审计链完整", "Audit chain intact";
    ChainBroken => "审计链在此处被篡改：记录", "Audit chain broken at row";
    Time => "时间", "Time";
    Action2 => "操作", "Action";
    Target => "对象", "Target";
    Outcome => "结果", "Outcome";
    Member => "会员编号", "Member number";
    Escalated => "督办", "Escalated, level";
    CalendarTitle => "工作日历", "Working calendar";
    OfficeHours => "办公时间", "Office hours";
    OfficeHoursInvalid => "办公时间格式应为 08:30-17:30", "Office hours look like 08:30-17:30";
    Overrides => "调整的日期", "Overridden days";
    Date => "日期", "Date";
    DayKind => "类型", "Kind";
    DayOff => "休息日", "Day off";
    WorkingDay => "工作日（调休）", "Working day";
    Note => "说明", "Note";
    Save => "保存", "Save";
    Remove => "删除", "Remove";
    DateInvalid => "日期不正确", "Not a valid date";
    DeadlinesMoved => "已保存，重新计算的截止时间：", "Saved; deadlines recomputed:";
    Progress => "办理进度", "Progress";
    OnTimeRate => "按时办结率", "On-time rate";
    CorrectTitle => "按要求修改后重新提交", "Correct and send again";
    Resubmit => "重新提交", "Send again";
    ProtectedField => "这些内容不能由申请人修改", "These fields cannot be changed by the applicant";
    Reveal => "查看完整号码", "Show full numbers";
    YearProvisional => "年的放假安排尚未录入：截止时间按周末和固定节日预估。录入调整日期后请标记为已公布。", ": holiday schedule not entered yet; deadlines are estimates. Enter its days above, then mark it published.";
    MarkPublished => "标记已公布：", "Mark published:";
    KeysHint => "快捷键：J/K 上下移动，A 通过，X 选择，回车 查看详情", "Keys: J/K move, A approve, X select, Enter details";
    RevealReason => "查看理由（将被记录）", "Reason (recorded)";
    RevealNeedsReason => "查看完整号码须填写理由", "A reason is needed to see full numbers";
    // Units and the patterns around values: `{}` is where `T::fill` puts each value, in order.
    Hours => "小时", "h";
    Minutes => "分", "min";
    TimeLeft => "剩余 {}", "{} left";
    TimeOverdue => "逾期 {}", "overdue {}";
    InParens => "（{}）", " ({})";
    LabelValue => "{}：{}", "{}: {}";
    ListSeparator => "、", ", ";
    // Preset reasons a reviewer can pick (the Chinese text is what the applicant is sent).
    PresetIdMismatch => "信息与身份证不符", "Details do not match the ID card";
    PresetNotEmployee => "不属于本单位职工", "Not an employee of this union's workplaces";
    PresetOtherUnion => "已是其他工会会员", "Already a member of another union";
    // The personal-information notice (/privacy), one entry a paragraph.
    PrivacyController => "处理者：工会E家平台运营的总工会。目的：办理入会申请、审核、会籍管理和结果通知。", "Controller: the federation of trade unions running Union E-Home. Purpose: handling your membership application, its review, membership records and notices.";
    PrivacyCollected => "收集的信息：姓名、身份证号、手机号、工作单位或所在县区、车牌号（选填）。身份证号加密存储，页面和记录中只显示部分号码。", "We collect: name, ID number, mobile number, workplace or county, plate number (optional). The ID number is stored encrypted and shown only masked.";
    PrivacySharing => "信息仅提供给负责审核您申请的工会及其上级工会；查看完整号码须有权限并说明理由，且全部留痕。", "Only the union reviewing your application and the unions above it see it; seeing a full number needs a permission and a stated reason, and is recorded.";
    PrivacyRights => "您可以通过短信中的链接查询进度，也可以联系所在工会查阅、更正或删除您的信息，或撤回同意（撤回后将无法继续办理入会）。", "Follow the link in your SMS to see progress; ask your union to access, correct or delete your data or to withdraw consent (the application then stops).";
    Sex => "性别", "Sex";
    AgeRuleMet => "年满16周岁 ✓", "16 or older ✓";
    AgeRuleNotMet => "未满16周岁", "Under 16";
    YearsSuffix => "岁", " years";
    SearchWhole => "完整姓名、手机号或身份证号", "Full name, mobile or ID number";
    TooManyAttempts => "尝试次数过多，请于", "Too many attempts: try again at";
    TryAgainAfter => "后再试", "";
    CityAdminAtRoot => "市级管理员只能设在市总工会", "A city admin belongs to the city federation (the root union)";
    Enable => "启用", "Enable";
    // The command centre (issue 7 §1).
    CommandCentre => "指挥中心", "Command centre";
    OverdueList => "逾期督办", "Overdue";
    FigMembers => "会员", "Members";
    FigToday => "今日入会", "Joined today";
    FigWeek => "本周入会", "This week";
    FigMonth => "本月入会", "This month";
    FigPending => "待审核", "Pending";
    FigOverdue => "已逾期", "Overdue";
    FigOnTime => "30天按时率", "On time (30 days)";
    FigPooled => "周转池", "In the pool";
    FigPoolDays => "最长等待{}天", "longest {} days";
    FigTransfers => "待接收转会", "Transfers waiting";
    FigPlaced => "本月安置", "Placed this month";
    FigTransferIn => "本月转入", "In this month";
    FigTransferOut => "本月转出", "Out this month";
    SubUnions => "下级工会", "Unions below";
    Totals => "合计", "Total";
    JoinsPerDay => "近30天每日入会人数", "Members joined per day, last 30 days";
    ChartSummary => "近30天共入会{}人，单日最多{}人", "{} joined in 30 days; at most {} in a day";
    CountedAt => "统计于 {}", "Counted at {}";
    LiveOn => "实时更新中", "Live";
    LiveLost => "连接中断，正在重连…", "Connection lost, reconnecting…";
    LiveNeedsJs => "开启 JavaScript 后数字自动刷新；现在显示的是打开页面时的数字。", "With JavaScript on, the figures update by themselves; these are the figures when the page was opened.";
    Breadcrumb => "层级", "Levels";
    NoSubUnions => "没有下级工会", "No unions below";
    ReviewedBy => "审核单位", "Reviewing union";
    DueWas => "截止", "Due";
    EscalationLevel => "督办级别 {}", "escalation level {}";
    ChaseNow => "督办", "Chase";
    LastChased => "{} 已由{}督办", "Chased {} by {}";
    ChaseSent => "已督办，短信已发送给审核人员：", "Chased; SMS sent to reviewers: ";
    ChaseTooSoon => "该申请一小时内已督办过，请稍后再试", "This application was chased less than an hour ago";
    NoOverdue => "没有逾期的申请", "Nothing is overdue";
    Previous => "上一页", "Previous";
    NextPage => "下一页", "Next";

    // The turnover pool and membership transfers (issue 7 §2).
    PoolTitle => "周转池", "Turnover pool";
    TransfersTitle => "会籍接转", "Membership transfers";
    MemberTransferTitle => "办理会籍接转", "Transfer a member";
    DaysInPool => "在池 {} 天", "{} days in the pool";
    PlaceInto => "安置到", "Place into";
    Place => "安置", "Place";
    PoolEmpty => "周转池中暂无会员。", "Nobody is waiting in this pool.";
    TransferPendingBadge => "接转中", "Transfer waiting";
    TransferAction => "接转", "Transfer";
    IncomingTransfers => "待本单位接收", "Waiting for your answer";
    OutgoingTransfers => "已转出，待对方接收", "Sent, waiting for the other union";
    TransferHistory => "办理记录", "History";
    AcceptTransfer => "接收", "Accept";
    DeclineTransfer => "不接收", "Decline";
    WithdrawTransfer => "撤回", "Withdraw";
    DeclineReason => "不接收的理由", "Reason for declining";
    ReceivingUnion => "接收单位", "Receiving union";
    SendingUnion => "转出单位", "Sending union";
    AnswerDue => "办理期限", "Answer due by";
    DecidedAt => "办理时间", "Decided at";
    JoinedAt => "入会时间", "Joined";
    NoTransfers => "暂无记录。", "Nothing here.";
    KindPool => "周转池安置", "Placement from the pool";
    KindJobChange => "工作变动接转", "Job change";
    KindOutOfCity => "转出市外", "Out of the city";
    TransferStatusPending => "待接收", "Waiting";
    TransferStatusAccepted => "已接收", "Accepted";
    TransferStatusDeclined => "未接收", "Declined";
    TransferStatusAuto => "逾期自动接收", "Accepted automatically";
    TransferStatusCancelled => "已撤回", "Withdrawn";
    OutsideCity => "市外（转至外地工会，登记后即转出）", "Outside the city (recorded as transferred out at once)";
    OutsideWhere => "转往的单位或地区", "The union or place the member goes to";
    OutsideCityPlace => "市外：{}", "outside the city: {}";
    FindUnion => "按名称查找接收单位", "Find the receiving union by name";
    Find => "查找", "Find";
    PoolsOfCity => "各县区周转池", "Turnover pools";
    ProposeTransfer => "提交接转", "Propose the transfer";
    UnionHistory => "所在单位记录", "Unions over time";
    MemberTransferredOut => "该会员已转出。", "This member has been transferred out.";
    ChooseUnion => "请选择接收单位", "Choose the receiving union";
    SameUnion => "接收单位不能是会员当前所在单位", "The receiving union is the member's own";
    InvalidReceiver => "接收单位须为该县区内的基层工会", "Choose a grassroots union inside the pool's district";
    NotInPool => "该会员不在周转池中", "This member is not in a pool";
    NotTransferable => "该会员已转出，不能再办理接转", "This member has left: no transfer is possible";
    OutsideNeeded => "请填写转往的单位或地区", "Say where the member goes";
    AlreadyPendingTransfer => "该会员已有一份待接收的接转，请等待对方办理或先撤回。", "This member already has a transfer waiting: wait for the answer or withdraw it first.";
    TransferProposed => "接转已提交，等待接收单位办理。", "Transfer proposed: the receiving union will answer.";
    TransferredOutNotice => "已转出市外并登记。", "Transferred out of the city and recorded.";
    TransferAcceptedNotice => "已接收，会员已转入。", "Accepted: the member has moved in.";
    TransferDeclinedNotice => "已记录不接收，会员留在原单位。", "Declined: the member stays where they were.";
    TransferCancelledNotice => "接转已撤回。", "Transfer withdrawn.";
    TransferNotPending => "该接转已被处理", "This transfer was already decided";
    DeclineNeedsReason => "不接收须填写理由", "A reason is needed to decline";
    Days => "天", "d";
    NoUnionFound => "没有找到该单位，请换个关键词。", "No union found: try other words.";

    // Rosters out and in (issue 7 §3).
    RosterMembers => "会员名册", "Members";
    RosterApplications => "入会申请", "Applications";
    NoMembers => "没有符合条件的会员。", "No members match.";
    JoinedOn => "入会日期", "Joined on";
    JoinedFrom => "入会起始日期", "Joined from";
    JoinedTo => "入会截止日期", "Joined until";
    InPool => "在周转池", "In a turnover pool";
    PlacedFilter => "已落实单位", "Placed in a union";
    Transfer => "转会", "Transfer";
    Pages => "翻页", "Pages";
    ApplicationNo => "申请编号", "Application no.";
    Yes => "是", "yes";
    No => "否", "no";
    Export => "导出", "Export";
    ExportFormatLabel => "文件格式", "File format";
    ExportFull => "导出完整号码（须填写理由，将被记录）", "Full numbers (needs a reason; recorded)";
    ExportTitle => "导出名册", "Export";
    ExportFullNumbers => "本文件含完整身份证号和手机号：仅限工作使用，用后删除。", "This file holds full ID and mobile numbers: for work use only; delete it after use.";
    ExportQueued => "排队中…", "Waiting…";
    ExportRunning => "正在生成…", "Writing…";
    ExportDone => "已生成", "Ready";
    ExportFailed => "生成失败，请重新导出", "Failed; please export again";
    ExportExpired => "链接已过期，文件已删除", "The link has expired and the file is deleted";
    ExportRows => "已写入 {} / {} 行", "{} of {} rows written";
    ExportLinkNote => "下载链接仅限本人使用，{} 前有效。", "The link works for you only, until {}.";
    Download => "下载", "Download";
    ImportTitle => "导入会员", "Import members";
    ImportHint => "每行按入会表单的规则检查（身份证校验位、年龄、手机号），并查重；已是会员的人不会重复导入。", "Every row is checked like the join form (ID check character, age, mobile) and for duplicates; people who are members already are not imported again.";
    ImportTemplate => "下载模板", "Template";
    ImportUnion => "导入到", "Import into";
    ImportFile => "名册文件（.xlsx 或 .csv，不超过5 MB、20000行）", "Roster file (.xlsx or .csv, up to 5 MB and 20,000 rows)";
    ImportUpload => "上传并检查", "Upload and check";
    ImportSummary => "共 {} 行：可导入 {} 行，有问题 {} 行", "{} rows: {} can be imported, {} have problems";
    ImportBadRows => "有问题的行", "Rows with problems";
    ImportReport => "下载检查报告（.xlsx）", "Download the report (.xlsx)";
    ImportConfirm => "导入", "Import";
    ImportDone => "已导入 {} 人，跳过 {} 人。", "Imported {}; skipped {}.";
    ImportNothingValid => "没有可导入的行。", "No row can be imported.";
    ImportAnother => "导入另一个文件", "Import another file";
    ImportResult => "检查结果", "Result";
    ImportRowOk => "可导入", "can be imported";
    RowNumber => "行号", "Row";
    ImportEmpty => "文件中没有数据行。", "The file holds no data rows.";
    ImportTooLarge => "文件超过5 MB，请分批导入。", "The file is larger than 5 MB: import it in parts.";
    ImportNotSpreadsheet => "无法读取该文件：请上传按模板填写的 .xlsx 或 .csv 文件。", "The file could not be read: upload an .xlsx or .csv file made from the template.";
    ImportUnzippedTooLarge => "文件解压后过大（超过50 MB），已拒绝。", "The file unpacks to more than 50 MB: refused.";
    ImportTooManyRows => "数据超过20000行，请分批导入。", "More than 20,000 rows: import them in parts.";
    ImportWrongHeader => "表头与模板不符：第一行应为 姓名,身份证号,手机号,入会日期(可选),车牌号(可选)。", "The header is not the template's: the first row must be 姓名,身份证号,手机号,入会日期(可选),车牌号(可选).";
    ImportEncoding => "无法识别文件编码：请以 UTF-8 或 GBK 保存。", "Unknown text encoding: save the file as UTF-8 or GBK.";
    ImportChooseUnion => "请选择导入到哪个工会。", "Choose the union to import into.";
    ImportExpired => "该批次已过期，请重新上传。", "This upload has expired: upload the file again.";
    ImportDuplicateId => "与第{}行身份证号重复", "same ID number as row {}";
    ImportDuplicatePhone => "与第{}行手机号重复", "same mobile number as row {}";
    ImportAlreadyMember => "已是会员或已有入会申请", "already a member or has an open application";
    ErrJoinedDate => "入会日期不正确（如 2024-05-01，且不晚于今天）", "Joined date not valid (e.g. 2024-05-01, not after today)";
    // benefits
    BenefitsAdmin => "会员福利", "Member benefits";
    BenefitSaved => "已保存。", "Saved.";
    BenefitNameNeeded => "请填写名称（不超过60字）。", "Enter a name (up to 60 characters).";
    BenefitNameTaken => "该名称已存在。", "That name exists already.";
    Campaign => "活动", "Campaign";
    Campaigns => "福利活动", "Campaigns";
    NewCampaign => "新建活动", "New campaign";
    CampaignTitle => "活动名称", "Title";
    CampaignDescription => "说明", "Description";
    CampaignKindLabel => "类型", "Type";
    CampaignMerchants => "可核销商户", "Redeemable at";
    KindCoupon => "优惠券", "Coupon";
    KindGiftPack => "礼包", "Gift pack";
    ChooseMerchants => "请至少选择一个商户。", "Choose at least one merchant.";
    ChooseScenario => "请选择场景。", "Choose a scenario.";
    NumberNeeded => "请填写正整数。", "Enter a whole number above zero.";
    WindowInvalid => "日期不正确：领取开始 ≤ 领取截止 ≤ 核销截止（如 2026-12-01）。", "Dates not valid: claim from ≤ claim until ≤ redeem until (e.g. 2026-12-01).";
    Issued => "发放总量", "Issued (stock)";
    PerMember => "每人限领", "Limit per member";
    ClaimFrom => "领取开始", "Claim from";
    ClaimUntil => "领取截止", "Claim until";
    RedeemUntil => "核销截止", "Redeem until";
    TargetUnion => "面向工会（含下级）", "For a union (and below)";
    TargetOccupation => "面向职业（如 货车司机，选填）", "For an occupation (e.g. 货车司机, optional)";
    TargetNewDays => "仅限近N天入会的新会员（选填）", "Only members who joined in the last N days (optional)";
    WelcomeFlag => "入会礼包：审核通过后自动发放并短信通知", "Welcome pack: granted on approval, with an SMS";
    WelcomePack => "入会礼包", "Welcome pack";
    Merchants => "合作商户", "Partner merchants";
    Merchant => "商户", "Merchant";
    NewMerchant => "新增商户", "New merchant";
    Partner => "合作机构", "Partner institution";
    NewPartner => "新增合作机构（银行、银联商务等）", "New partner institution (bank, UnionPay Commerce …)";
    Scenario => "场景", "Scenario";
    ScenarioCatering => "餐饮", "Catering";
    ScenarioFuel => "加油", "Fuel";
    ScenarioVehicle => "汽车服务", "Vehicle service";
    ScenarioShopping => "购物", "Shopping";
    ScenarioHealth => "健康", "Health";
    ScenarioTravel => "出行", "Travel";
    Staff => "店员", "Staff";
    NewStaff => "新增店员账号", "New staff account";
    RoleMerchantStaff => "商户店员", "Merchant staff";
    RoleMerchantManager => "商户负责人", "Merchant manager";
    Day => "日期", "Day";
    Claimed => "已领取", "Claimed";
    Redeemed => "已核销", "Redeemed";
    Redemptions => "核销记录", "Redemptions";
    ExportCsv => "导出 .csv", "Export .csv";
    ExportXlsx => "导出 .xlsx", "Export .xlsx";
    Reverse => "撤销核销", "Reverse";
    Reversed => "已撤销", "Reversed";
    ReverseReason => "撤销原因", "Reason";
    ReverseNeedsReason => "撤销核销须填写原因。", "A reversal needs a reason.";
    ReverseDone => "已撤销该次核销，券恢复为未使用。", "Reversed: the coupon is unused again.";
    MerchantTitle => "商户工作台", "Merchant desk";
    RedeemTitle => "核销", "Redeem";
    RedeemDigits => "核销码（8位数字）", "Redemption code (8 digits)";
    RedeemHint => "请会员出示核销码，输入屏幕上的8位数字；也可用手机相机扫描二维码。", "Ask the member for the code and type its 8 digits, or scan the QR code with the phone's camera.";
    RedeemLookUp => "查询", "Look up";
    RedeemConfirm => "确认核销", "Confirm redemption";
    RedeemDone => "核销成功。", "Redeemed.";
    RedeemNotFound => "核销码无效：未找到，或已使用，或不属于本商户的活动。", "Code not valid: unknown, used, or not for this merchant's campaigns.";
    RedeemExpired => "核销码已过期，请会员刷新后重新出示。", "The code has expired: ask the member to show a new one.";
    RedeemNotUsable => "该券不可核销（已使用、已作废或已过核销截止日期）。", "This coupon cannot be redeemed (used, void or past its last day).";
    RedeemWait => "错误次数过多，请于 {} 后再试。", "Too many wrong codes: try again after {}.";
    Cancel => "取消", "Cancel";
    MyBenefits => "我的福利", "My benefits";
    OpenToMe => "可领取", "Open to me";
    NothingOpen => "暂无可领取的福利。", "Nothing to claim at the moment.";
    MyCoupons => "我的券", "My coupons";
    NoCoupons => "还没有领取任何券。", "No coupons yet.";
    Claim => "领取", "Claim";
    ClaimDone => "领取成功，可在“我的券”中使用。", "Claimed: find it under My coupons.";
    ClaimNotEligible => "您不在该活动的发放范围内。", "This campaign is not for you.";
    ClaimNotOpen => "不在领取时间内。", "Outside the claiming window.";
    ClaimOverLimit => "您已达到该活动的每人限领数量。", "You have reached this campaign's limit per member.";
    ClaimSoldOut => "已领完。", "None left.";
    StockLeft => "剩余 {}", "{} left";
    ClaimedOf => "已领 {}/{}", "claimed {} of {}";
    CouponUnused => "未使用", "Unused";
    CouponRedeemed => "已核销", "Redeemed";
    CouponExpired => "已过期", "Expired";
    CouponVoid => "已作废", "Void";
    UseCoupon => "使用", "Use";
    ShowCode => "出示核销码", "Show the code";
    RedeemQr => "核销二维码", "Redemption QR code";
    CodeValidUntil => "{} 前有效，仅可使用一次；重新出示将使旧码失效。", "Valid until {}, once; a new code replaces this one.";

    // member
    MeLogin => "会员登录", "Member sign-in";
    MeLoginIntro => "用入会时的手机号和短信验证码登录。", "Sign in with the mobile number you joined with and an SMS code.";
    MeSignIn => "登录", "Sign in";
    MeLoginHint => "只有会员的手机号会收到验证码。", "Only a member's number receives the code.";
    MeTitle => "我的", "Me";
    CardTitle => "电子会员证", "E-member card";
    MeBenefits => "我的权益", "My benefits";
    MyDataTitle => "我的信息与权利", "My data and rights";
    MeNothing => "暂无。", "None yet.";
    UntilNow => "至今", "now";
    MemberNo => "会员号", "Member number";
    MemberSince => "入会时间", "Member since";
    ShowCard => "出示电子会员证", "Show my e-member card";
    MyApplications => "我的入会申请", "My applications";
    MyRequests => "我的申请事项", "My requests";
    MeApplication => "入会申请", "Application to join";
    MeTransfer => "会籍接转", "Membership transfer";
    CardHint => "请向商户或工作人员出示此码，扫码即可核验。二维码每分钟更换，截图无效。", "Show this code to the merchant or officer: scanning it checks the card. It changes every minute; a screenshot is no good.";
    CardChangesIn => "{}秒后更新", "Changes in {} s";
    CardNotValid => "您的会籍已转出本市，电子会员证不再有效。", "Your membership moved out of the city: the e-member card is no longer valid.";
    CardCheckTitle => "会员证核验", "Member card check";
    CardValid => "有效会员", "Valid member";
    CardUnion => "所属工会", "Union";
    CardExpired => "不是有效会员码：已过期", "Not a valid member code: expired";
    CardExpiredWhy => "会员码每分钟更换，此码已超过有效时间（可能是截图或旧页面）。请会员刷新电子会员证后重新扫码。", "The code changes every minute and this one is past its time (a screenshot or an old page). Ask the member to refresh the card and scan again.";
    CardUnknown => "不是有效会员码：无法识别", "Not a valid member code: unknown";
    CardUnknownWhy => "此码不是本平台签发的会员码，或已被改动。", "This code was not issued here, or it was altered.";
    CardNotMember => "不是有效会员码：持有人已不是会员", "Not a valid member code: the holder is no longer a member";
    CardCheckedAt => "核验时间：{}", "Checked at {}";
    MyDataIntro => "以下是本平台保存的关于您的全部信息。身份证号仅显示部分，以防页面或文件外泄。", "Below is everything this platform keeps about you. The ID number shows only in part, in case the page or file leaks.";
    BirthYear => "出生年份", "Year of birth";
    ConsentGiven => "同意授权", "Consent given";
    DownloadMyData => "下载我的信息（JSON）", "Download my data (JSON)";
    CorrectMyData => "更正信息", "Correct my data";
    SaveCorrection => "保存更正", "Save";
    DataCorrected => "信息已更正。", "Your data was corrected.";
    ChangePhone => "更换手机号", "Change mobile number";
    NewPhone => "新手机号", "New mobile number";
    CodeSentToNew => "验证码已发送到新手机号，5分钟内有效。", "A code went to the new number; valid for 5 minutes.";
    PhoneChanged => "手机号已更换，今后请用新手机号登录。", "Mobile number changed: sign in with the new number from now on.";
    PhoneSameAsNow => "这就是您当前的手机号", "This is your current number";
    PhoneTaken => "该手机号已被其他会员或入会申请使用", "This number is used by another member or application";
    LeaveTitle => "退出工会", "Leave the union";
    LeaveExplain => "退出后您的会籍终止，姓名、手机号、身份证号、车牌号将被删除且无法恢复；统计所需的匿名数据（所属工会、时间、性别）保留。", "Leaving ends your membership; your name, mobile number, ID number and plate are deleted for good. Anonymous data the figures need (union, dates, sex) stays.";
    LeaveTypeWord => "请输入“{}”确认", "Type “{}” to confirm";
    LeaveConfirmNeeded => "请输入“退出”以确认", "Type “退出” to confirm";
    LeaveConfirm => "确认退出并删除我的信息", "Leave and delete my data";
    LeaveCancel => "不退出，返回", "Do not leave; go back";
    LeaveDoneTitle => "已退出工会", "You have left the union";
    LeaveDone => "您的会籍已终止，个人信息已删除。感谢您曾经的参与。", "Your membership has ended and your personal data is deleted. Thank you for having been with us.";
    MemberRequests => "会员申请接转", "Members asking for a transfer";
    RequestedUnion => "希望转入", "Wants to move to";
    ProposeForRequest => "办理接转", "Propose the transfer";
    RequestReasonNeeded => "请填写申请接转的原因", "Please give the reason for the transfer";
    RequestAlreadyOpen => "您已有一份接转申请在办理中", "You already have a transfer request being handled";
    AskTransfer => "申请会籍接转", "Ask for a membership transfer";
    AskTransferIntro => "换了工作单位？选择新单位的工会并说明原因，由您所在的工会为您办理接转，会员号不变。", "Changed jobs? Choose the union at your new workplace and say why; your union then handles the transfer. Your member number stays.";
    TransferTo => "转入工会", "Move to";
    TransferReason => "原因", "Reason";
    SendRequest => "提交申请", "Send the request";
    TransferRequested => "接转申请已提交，您所在的工会将为您办理。", "Your request was sent: your union will handle the transfer.";
    MeTransferRequest => "接转申请", "Transfer request";
    RequestOpen => "待工会办理", "Waiting for your union";
    RequestProposed => "已办理", "Handled";
    RequestCancelled => "已取消", "Cancelled";

}

impl T {
    /// The entry with each `{}` replaced by the next value (a missing value leaves nothing).
    pub fn fill(self, lang: Lang, values: &[&str]) -> String {
        let mut rest = self.get(lang);
        let mut values = values.iter();
        let mut out = String::with_capacity(rest.len() + 16);
        while let Some(at) = rest.find("{}") {
            out.push_str(&rest[..at]);
            out.push_str(values.next().copied().unwrap_or_default());
            rest = &rest[at + 2..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_answer() {
        assert_eq!(T::Submit.get(Lang::Zh), "提交申请");
        assert_eq!(T::Submit.get(Lang::En), "Submit application");
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
    }

    #[test]
    fn fill_puts_values_in_order() {
        assert_eq!(T::LabelValue.fill(Lang::Zh, &["年龄", "30"]), "年龄：30");
        assert_eq!(T::LabelValue.fill(Lang::En, &["Age", "30"]), "Age: 30");
        assert_eq!(T::InParens.fill(Lang::Zh, &["选填"]), "（选填）");
        assert_eq!(T::InParens.fill(Lang::En, &[]), " ()");
        assert_eq!(T::Submit.fill(Lang::Zh, &["unused"]), "提交申请");
    }
}
