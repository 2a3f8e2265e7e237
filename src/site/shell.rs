//! The page shell and layout: the one place that knows every area's page. Handlers return a
//! typed view (`server::web::Page<V>`); the renderer (`site::render`) turns the view into
//! `PageData` and renders the whole document on the server. Only the join form and the queue's
//! keyboard helper are islands, so only those pages load WebAssembly at all.
use crate::channel::PosterView;
use crate::i18n::{Lang, T};
use crate::join::ui::status::StatusView;
use crate::join::JoinView;
use leptos::prelude::*;

/// The stylesheet's address (hashed with the build when file hashing is on).
#[derive(Clone, Debug)]
pub struct StylesheetHref(pub std::sync::Arc<str>);

/// The request's id, shown on an error page so a user's report finds the server's log lines.
#[derive(Clone, Debug)]
pub struct RequestRef(pub std::sync::Arc<str>);

/// The site's own pages, which belong to no area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SitePage {
    Home,
    Privacy,
}

#[derive(Clone, Debug)]
pub enum PageData {
    Home,
    Privacy,
    NotFound,
    Error(T),
    Join(JoinView),
    Status(Option<StatusView>),
    Poster(PosterView),
    AdminLogin(crate::admin::LoginView),
    Admins(crate::admin::AdminsView),
    Audit(crate::admin::AuditView),
    Queue(crate::review::QueueView),
    Detail(crate::review::DetailView),
    Calendar(crate::workdays::CalendarView),
    Stats(crate::workdays::StatsView),
    Command(crate::command::CommandView),
    Overdue(crate::command::OverdueView),
    // command centre
    // transfers
    Pool(crate::transfer::PoolView),
    Transfers(crate::transfer::TransfersView),
    MemberTransfer(crate::transfer::MemberTransferView),
    // rosters
    Members(crate::roster::MembersView),
    Export(crate::roster::ExportView),
    Import(crate::roster::ImportView),
    // member
    MemberLogin(crate::member::LoginView),
    Me(crate::member::MeView),
    Card(crate::member::CardView),
    CardCheck(crate::member::CardCheckView),
    MyData(crate::member::DataView),
    Leave(crate::member::LeaveView),
    // benefits
    BenefitsAdmin(crate::benefit::BenefitsAdminView),
    Campaign(crate::benefit::CampaignView),
    MerchantHome(crate::benefit::MerchantHomeView),
    Redeem(crate::benefit::RedeemView),
    MyBenefits(crate::benefit::MyBenefitsView),
    CouponCode(crate::benefit::CouponCodeView),
    // the service hall
    Hall(crate::hall::HallView),
    ServiceForm(crate::hall::ServiceFormView),
    MyRequests(crate::hall::MyRequestsView),
    MyRequest(crate::hall::MyRequestView),
    HallQueue(crate::hall::HallQueueView),
    HallRequest(crate::hall::HallRequestView),
    Catalogue(crate::hall::CatalogueView),
    ServiceEdit(crate::hall::ServiceEditView),
    // events
    Events(crate::event::EventsView),
    EventDetail(crate::event::EventDetailView),
    EventsAdmin(crate::event::EventsAdminView),
    EventAdmin(crate::event::EventAdminView),
    Ticket(crate::event::TicketView),
    // library
    Library(crate::library::LibraryView),
    LibraryAdmin(crate::library::LibraryAdminView),
    LibraryCounter(crate::library::LibraryCounterView),
    // legal aid
    LegalHome(crate::legal::LegalHomeView),
    LegalAsk(crate::legal::AskView),
    LegalMyQuestion(crate::legal::MyQuestionView),
    LegalAdmin(crate::legal::LegalAdminView),
    LegalStation(crate::legal::StationAdminView),
    LawyerHome(crate::legal::LawyerHomeView),
    LawyerQuestion(crate::legal::LawyerQuestionView),
}

impl PageData {
    fn title(&self) -> T {
        match self {
            PageData::Home => T::HomeTitle,
            PageData::Privacy => T::ConsentNotice,
            PageData::NotFound => T::NotFound,
            PageData::Error(_) => T::ErrorTitle,
            PageData::Join(_) => T::JoinTitle,
            PageData::Status(_) => T::StatusTitle,
            PageData::Poster(_) => T::PosterTitle,
            PageData::AdminLogin(_) => T::AdminLogin,
            PageData::Admins(_) => T::Admins,
            PageData::Audit(_) => T::Audit,
            PageData::Queue(_) => T::Queue,
            PageData::Detail(_) => T::Details,
            PageData::Calendar(_) => T::CalendarTitle,
            PageData::Stats(_) => T::Progress,
            PageData::Command(_) => T::CommandCentre,
            PageData::Overdue(_) => T::OverdueList,
            // command centre
            // transfers
            PageData::Pool(_) => T::PoolTitle,
            PageData::Transfers(_) => T::TransfersTitle,
            PageData::MemberTransfer(_) => T::MemberTransferTitle,
            // rosters
            PageData::Members(_) => T::RosterMembers,
            PageData::Export(_) => T::ExportTitle,
            PageData::Import(_) => T::ImportTitle,
            // member
            PageData::MemberLogin(_) => T::MeLogin,
            PageData::Me(_) => T::MeTitle,
            PageData::Card(_) => T::CardTitle,
            PageData::CardCheck(_) => T::CardCheckTitle,
            PageData::MyData(_) => T::MyDataTitle,
            PageData::Leave(_) => T::LeaveTitle,
            // benefits
            PageData::BenefitsAdmin(_) => T::BenefitsAdmin,
            PageData::Campaign(_) => T::Campaign,
            PageData::MerchantHome(_) => T::MerchantTitle,
            PageData::Redeem(_) => T::RedeemTitle,
            PageData::MyBenefits(_) => T::MyBenefits,
            PageData::CouponCode(_) => T::UseCoupon,
            // the service hall
            PageData::Hall(_) | PageData::ServiceForm(_) => T::HallTitle,
            PageData::MyRequests(_) | PageData::MyRequest(_) => T::MyServices,
            PageData::HallQueue(_) | PageData::HallRequest(_) => T::HallQueue,
            PageData::Catalogue(_) | PageData::ServiceEdit(_) => T::Catalogue,
            // events
            PageData::Events(_) => T::EventsTitle,
            PageData::EventDetail(_) => T::EventsTitle,
            PageData::EventsAdmin(_) => T::EventsAdmin,
            PageData::EventAdmin(_) => T::EventAttendance,
            PageData::Ticket(_) => T::EventCheckIn,
            // library
            PageData::Library(_) | PageData::LibraryAdmin(_) => T::LibTitle,
            PageData::LibraryCounter(_) => T::LibLend,
            // legal aid
            PageData::LegalHome(_) => T::LegalTitle,
            PageData::LegalAsk(_) => T::LegalAskTitle,
            PageData::LegalMyQuestion(_) => T::LegalQuestion,
            PageData::LegalAdmin(_) => T::LegalAdminTitle,
            PageData::LegalStation(_) => T::LegalAdminTitle,
            PageData::LawyerHome(_) => T::LawyerTitle,
            PageData::LawyerQuestion(_) => T::LegalQuestion,
        }
    }

    /// What search engines and link previews say of the page.
    fn description(&self) -> T {
        match self {
            PageData::Join(_) | PageData::Poster(_) => T::JoinIntro,
            _ => T::HomeIntro,
        }
    }

    /// The page value a handler returned, by its type; `None` for a type no page shows.
    #[cfg(feature = "ssr")]
    pub fn from_view(view: std::sync::Arc<dyn std::any::Any + Send + Sync>) -> Option<PageData> {
        use crate::server::web::{ErrorView, NotFoundView};
        fn take<V: Clone + 'static>(view: &std::sync::Arc<dyn std::any::Any + Send + Sync>) -> Option<V> {
            view.downcast_ref::<V>().cloned()
        }
        let v = &view;
        None.or_else(|| {
            take::<SitePage>(v).map(|p| match p {
                SitePage::Home => PageData::Home,
                SitePage::Privacy => PageData::Privacy,
            })
        })
        .or_else(|| take::<NotFoundView>(v).map(|_| PageData::NotFound))
        .or_else(|| take::<ErrorView>(v).map(|e| PageData::Error(e.message)))
        .or_else(|| take::<JoinView>(v).map(PageData::Join))
        .or_else(|| take::<Option<StatusView>>(v).map(PageData::Status))
        .or_else(|| take::<PosterView>(v).map(PageData::Poster))
        .or_else(|| take::<crate::admin::LoginView>(v).map(PageData::AdminLogin))
        .or_else(|| take::<crate::admin::AdminsView>(v).map(PageData::Admins))
        .or_else(|| take::<crate::admin::AuditView>(v).map(PageData::Audit))
        .or_else(|| take::<crate::review::QueueView>(v).map(PageData::Queue))
        .or_else(|| take::<crate::review::DetailView>(v).map(PageData::Detail))
        .or_else(|| take::<crate::workdays::CalendarView>(v).map(PageData::Calendar))
        .or_else(|| take::<crate::workdays::StatsView>(v).map(PageData::Stats))
        .or_else(|| take::<crate::command::CommandView>(v).map(PageData::Command))
        .or_else(|| take::<crate::command::OverdueView>(v).map(PageData::Overdue))
        // command centre
        // transfers
        .or_else(|| take::<crate::transfer::PoolView>(v).map(PageData::Pool))
        .or_else(|| take::<crate::transfer::TransfersView>(v).map(PageData::Transfers))
        .or_else(|| take::<crate::transfer::MemberTransferView>(v).map(PageData::MemberTransfer))
        // rosters
        .or_else(|| take::<crate::roster::MembersView>(v).map(PageData::Members))
        .or_else(|| take::<crate::roster::ExportView>(v).map(PageData::Export))
        .or_else(|| take::<crate::roster::ImportView>(v).map(PageData::Import))
        // member
        .or_else(|| take::<crate::member::LoginView>(v).map(PageData::MemberLogin))
        .or_else(|| take::<crate::member::MeView>(v).map(PageData::Me))
        .or_else(|| take::<crate::member::CardView>(v).map(PageData::Card))
        .or_else(|| take::<crate::member::CardCheckView>(v).map(PageData::CardCheck))
        .or_else(|| take::<crate::member::DataView>(v).map(PageData::MyData))
        .or_else(|| take::<crate::member::LeaveView>(v).map(PageData::Leave))
        // benefits
        .or_else(|| take::<crate::benefit::BenefitsAdminView>(v).map(PageData::BenefitsAdmin))
        .or_else(|| take::<crate::benefit::CampaignView>(v).map(PageData::Campaign))
        .or_else(|| take::<crate::benefit::MerchantHomeView>(v).map(PageData::MerchantHome))
        .or_else(|| take::<crate::benefit::RedeemView>(v).map(PageData::Redeem))
        .or_else(|| take::<crate::benefit::MyBenefitsView>(v).map(PageData::MyBenefits))
        .or_else(|| take::<crate::benefit::CouponCodeView>(v).map(PageData::CouponCode))
        // the service hall
        .or_else(|| take::<crate::hall::HallView>(v).map(PageData::Hall))
        .or_else(|| take::<crate::hall::ServiceFormView>(v).map(PageData::ServiceForm))
        .or_else(|| take::<crate::hall::MyRequestsView>(v).map(PageData::MyRequests))
        .or_else(|| take::<crate::hall::MyRequestView>(v).map(PageData::MyRequest))
        .or_else(|| take::<crate::hall::HallQueueView>(v).map(PageData::HallQueue))
        .or_else(|| take::<crate::hall::HallRequestView>(v).map(PageData::HallRequest))
        .or_else(|| take::<crate::hall::CatalogueView>(v).map(PageData::Catalogue))
        .or_else(|| take::<crate::hall::ServiceEditView>(v).map(PageData::ServiceEdit))
        // events
        .or_else(|| take::<crate::event::EventsView>(v).map(PageData::Events))
        .or_else(|| take::<crate::event::EventDetailView>(v).map(PageData::EventDetail))
        .or_else(|| take::<crate::event::EventsAdminView>(v).map(PageData::EventsAdmin))
        .or_else(|| take::<crate::event::EventAdminView>(v).map(PageData::EventAdmin))
        .or_else(|| take::<crate::event::TicketView>(v).map(PageData::Ticket))
        // library
        .or_else(|| take::<crate::library::LibraryView>(v).map(PageData::Library))
        .or_else(|| take::<crate::library::LibraryAdminView>(v).map(PageData::LibraryAdmin))
        .or_else(|| take::<crate::library::LibraryCounterView>(v).map(PageData::LibraryCounter))
        // legal aid
        .or_else(|| take::<crate::legal::LegalHomeView>(v).map(PageData::LegalHome))
        .or_else(|| take::<crate::legal::AskView>(v).map(PageData::LegalAsk))
        .or_else(|| take::<crate::legal::MyQuestionView>(v).map(PageData::LegalMyQuestion))
        .or_else(|| take::<crate::legal::LegalAdminView>(v).map(PageData::LegalAdmin))
        .or_else(|| take::<crate::legal::StationAdminView>(v).map(PageData::LegalStation))
        .or_else(|| take::<crate::legal::LawyerHomeView>(v).map(PageData::LawyerHome))
        .or_else(|| take::<crate::legal::LawyerQuestionView>(v).map(PageData::LawyerQuestion))
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    let page = use_context::<PageData>().unwrap_or(PageData::NotFound);
    // Only pages with islands load WebAssembly: the join form, and the queue's keyboard keys.
    let islands = matches!(page, PageData::Join(_) | PageData::Queue(_) | PageData::Command(_) | PageData::Card(_));
    let title = format!("{} · {}", page.title().get(lang), T::AppName.get(lang));
    let description = page.description().get(lang);
    let css = use_context::<StylesheetHref>()
        .map(|h| h.0.to_string())
        .unwrap_or_else(|| format!("/{}/{}.css", options.site_pkg_dir, options.output_name));
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#c8102e"/>
                <title>{title}</title>
                <meta name="description" content=description/>
                <link rel="stylesheet" href=css/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                {islands.then(|| view! { <HydrationScripts options=options.clone() islands=true/> })}
            </head>
            <body>
                <App page=page lang=lang/>
            </body>
        </html>
    }
}

/// The current path and query, for the language switch to come back to.
fn current_path() -> String {
    #[cfg(feature = "ssr")]
    {
        if let Some(parts) = use_context::<axum::http::request::Parts>() {
            return parts.uri.path().to_string();
        }
    }
    "/".to_string()
}

#[component]
pub fn App(page: PageData, lang: Lang) -> impl IntoView {
    let other = if lang == Lang::Zh { Lang::En } else { Lang::Zh };
    let path = current_path();
    // A status link's token stays out of other URLs: that page switches by query instead.
    let switch = if path.starts_with("/s/") { format!("?lang={}", other.short()) } else { format!("/lang/{}?next={path}", other.short()) };
    let poster = matches!(page, PageData::Poster(_));
    let body = match page {
        PageData::Home => view! { <HomePage lang=lang/> }.into_any(),
        PageData::Privacy => view! { <PrivacyPage lang=lang/> }.into_any(),
        PageData::NotFound => view! { <NotFoundPage lang=lang/> }.into_any(),
        PageData::Error(message) => view! { <ErrorPage message=message lang=lang/> }.into_any(),
        PageData::Join(v) => view! { <crate::join::ui::page::JoinPage view=v/> }.into_any(),
        PageData::Status(v) => view! { <crate::join::ui::status::StatusPage view=v lang=lang/> }.into_any(),
        PageData::Poster(v) => view! { <crate::channel::ui::PosterPage view=v lang=lang/> }.into_any(),
        PageData::AdminLogin(v) => view! { <crate::admin::ui::LoginPage view=v lang=lang/> }.into_any(),
        PageData::Admins(v) => view! { <crate::admin::ui::AdminsPage view=v lang=lang/> }.into_any(),
        PageData::Audit(v) => view! { <crate::admin::ui::AuditPage view=v lang=lang/> }.into_any(),
        PageData::Queue(v) => view! { <crate::review::ui::QueuePage view=v lang=lang/> }.into_any(),
        PageData::Detail(v) => view! { <crate::review::ui::DetailPage view=v lang=lang/> }.into_any(),
        PageData::Calendar(v) => view! { <crate::workdays::ui::CalendarPage view=v lang=lang/> }.into_any(),
        PageData::Stats(v) => view! { <crate::workdays::ui::StatsPage view=v lang=lang/> }.into_any(),
        PageData::Command(v) => view! { <crate::command::ui::CommandPage view=v lang=lang/> }.into_any(),
        PageData::Overdue(v) => view! { <crate::command::ui::OverduePage view=v lang=lang/> }.into_any(),
        // command centre
        // transfers
        PageData::Pool(v) => view! { <crate::transfer::ui::PoolPage view=v lang=lang/> }.into_any(),
        PageData::Transfers(v) => view! { <crate::transfer::ui::TransfersPage view=v lang=lang/> }.into_any(),
        PageData::MemberTransfer(v) => view! { <crate::transfer::ui::MemberTransferPage view=v lang=lang/> }.into_any(),
        // rosters
        PageData::Members(v) => view! { <crate::roster::ui::MembersPage view=v lang=lang/> }.into_any(),
        PageData::Export(v) => view! { <crate::roster::ui::ExportPage view=v lang=lang/> }.into_any(),
        PageData::Import(v) => view! { <crate::roster::ui::ImportPage view=v lang=lang/> }.into_any(),
        // member
        PageData::MemberLogin(v) => view! { <crate::member::ui::LoginPage view=v lang=lang/> }.into_any(),
        PageData::Me(v) => view! { <crate::member::ui::MePage view=v lang=lang/> }.into_any(),
        PageData::Card(v) => view! { <crate::member::card_ui::CardPage view=v lang=lang/> }.into_any(),
        PageData::CardCheck(v) => view! { <crate::member::card_ui::CardCheckPage view=v lang=lang/> }.into_any(),
        PageData::MyData(v) => view! { <crate::member::data_ui::DataPage view=v lang=lang/> }.into_any(),
        PageData::Leave(v) => view! { <crate::member::data_ui::LeavePage view=v lang=lang/> }.into_any(),
        // benefits
        PageData::BenefitsAdmin(v) => view! { <crate::benefit::ui::BenefitsAdminPage view=v lang=lang/> }.into_any(),
        PageData::Campaign(v) => view! { <crate::benefit::ui::CampaignPage view=v lang=lang/> }.into_any(),
        PageData::MerchantHome(v) => view! { <crate::benefit::ui::MerchantHomePage view=v lang=lang/> }.into_any(),
        PageData::Redeem(v) => view! { <crate::benefit::ui::RedeemPage view=v lang=lang/> }.into_any(),
        PageData::MyBenefits(v) => view! { <crate::benefit::ui::MyBenefitsPage view=v lang=lang/> }.into_any(),
        PageData::CouponCode(v) => view! { <crate::benefit::ui::CouponCodePage view=v lang=lang/> }.into_any(),
        // the service hall
        PageData::Hall(v) => view! { <crate::hall::ui::HallPage view=v lang=lang/> }.into_any(),
        PageData::ServiceForm(v) => view! { <crate::hall::ui::ServiceFormPage view=v lang=lang/> }.into_any(),
        PageData::MyRequests(v) => view! { <crate::hall::ui::MyRequestsPage view=v lang=lang/> }.into_any(),
        PageData::MyRequest(v) => view! { <crate::hall::ui::MyRequestPage view=v lang=lang/> }.into_any(),
        PageData::HallQueue(v) => view! { <crate::hall::admin_ui::HallQueuePage view=v lang=lang/> }.into_any(),
        PageData::HallRequest(v) => view! { <crate::hall::admin_ui::HallRequestPage view=v lang=lang/> }.into_any(),
        PageData::Catalogue(v) => view! { <crate::hall::admin_ui::CataloguePage view=v lang=lang/> }.into_any(),
        PageData::ServiceEdit(v) => view! { <crate::hall::admin_ui::ServiceEditPage view=v lang=lang/> }.into_any(),
        // events
        PageData::Events(v) => view! { <crate::event::ui::EventsPage view=v lang=lang/> }.into_any(),
        PageData::EventDetail(v) => view! { <crate::event::ui::EventDetailPage view=v lang=lang/> }.into_any(),
        PageData::EventsAdmin(v) => view! { <crate::event::ui::EventsAdminPage view=v lang=lang/> }.into_any(),
        PageData::EventAdmin(v) => view! { <crate::event::ui::EventAdminPage view=v lang=lang/> }.into_any(),
        PageData::Ticket(v) => view! { <crate::event::ui::TicketPage view=v lang=lang/> }.into_any(),
        // library
        PageData::Library(v) => view! { <crate::library::ui::LibraryPage view=v lang=lang/> }.into_any(),
        PageData::LibraryAdmin(v) => view! { <crate::library::ui::LibraryAdminPage view=v lang=lang/> }.into_any(),
        PageData::LibraryCounter(v) => view! { <crate::library::ui::LibraryCounterPage view=v lang=lang/> }.into_any(),
        // legal aid
        PageData::LegalHome(v) => view! { <crate::legal::ui::LegalHomePage view=v lang=lang/> }.into_any(),
        PageData::LegalAsk(v) => view! { <crate::legal::ui::AskPage view=v lang=lang/> }.into_any(),
        PageData::LegalMyQuestion(v) => view! { <crate::legal::ui::MyQuestionPage view=v lang=lang/> }.into_any(),
        PageData::LegalAdmin(v) => view! { <crate::legal::ui::LegalAdminPage view=v lang=lang/> }.into_any(),
        PageData::LegalStation(v) => view! { <crate::legal::ui::StationAdminPage view=v lang=lang/> }.into_any(),
        PageData::LawyerHome(v) => view! { <crate::legal::ui::LawyerHomePage view=v lang=lang/> }.into_any(),
        PageData::LawyerQuestion(v) => view! { <crate::legal::ui::LawyerQuestionPage view=v lang=lang/> }.into_any(),
    };
    view! {
        <header class="top" class:no-print=poster>
            <a href="/" class="brand">{T::AppName.get(lang)}</a>
            <a href=switch class="lang" hreflang=other.tag() lang=other.tag()>{T::SwitchLang.get(lang)}</a>
        </header>
        <main class:poster=poster>{body}</main>
    }
}

#[component]
fn HomePage(lang: Lang) -> impl IntoView {
    view! {
        <section class="card">
            <h1>{T::HomeTitle.get(lang)}</h1>
            <p class="intro">{T::HomeIntro.get(lang)}</p>
            <a class="button primary" href="/join">{T::JoinTitle.get(lang)}</a>
        </section>
    }
}

#[component]
fn NotFoundPage(lang: Lang) -> impl IntoView {
    view! {
        <section class="card">
            <h1>{T::NotFound.get(lang)}</h1>
            <a class="button secondary" href="/">{T::BackHome.get(lang)}</a>
        </section>
    }
}

#[component]
fn ErrorPage(message: T, lang: Lang) -> impl IntoView {
    view! {
        <section class="card">
            <h1>{T::ErrorTitle.get(lang)}</h1>
            <p role="alert">{message.get(lang)}</p>
            {use_context::<RequestRef>().map(|r| view! { <p class="hint request-ref">{T::ErrorRef.fill(lang, &[&*r.0])}</p> })}
            <a class="button secondary" href="/">{T::BackHome.get(lang)}</a>
        </section>
    }
}

#[component]
fn PrivacyPage(lang: Lang) -> impl IntoView {
    view! {
        <section class="card prose">
            <h1>{T::ConsentNotice.get(lang)}</h1>
            <p class="hint">{format!("v{}", crate::join::types::CONSENT_VERSION)}</p>
            {[T::PrivacyController, T::PrivacyCollected, T::PrivacySharing, T::PrivacyRights].map(|t| view! { <p>{t.get(lang)}</p> }).collect_view()}
        </section>
    }
}
