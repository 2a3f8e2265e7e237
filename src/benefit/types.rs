//! Benefit values the pages render: scenarios, campaign kinds, coupon states, and the views of
//! the city admin's, the merchant's and the member's screens.
use crate::admin::AdminInfo;
use crate::i18n::T;
use serde::{Deserialize, Serialize};

/// How long a redemption code shown by a member stays valid.
pub const CODE_SECS: i64 = 5 * 60;
/// Wrong codes counted over this window.
pub const WRONG_WINDOW_SECS: i64 = 10 * 60;
/// Wrong codes one staff account may type in the window before it must wait.
pub const WRONG_PER_STAFF: i64 = 10;
/// Wrong codes one merchant (all its staff) may type in the window.
pub const WRONG_PER_MERCHANT: i64 = 30;
/// The longest redemption code: eight digits read out at the counter.
pub const DIGITS: usize = 8;

/// The six scenarios of the partner merchants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scenario {
    Catering,
    Fuel,
    VehicleService,
    Shopping,
    Health,
    Travel,
}

impl Scenario {
    pub const ALL: [Scenario; 6] =
        [Scenario::Catering, Scenario::Fuel, Scenario::VehicleService, Scenario::Shopping, Scenario::Health, Scenario::Travel];

    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Catering => "catering",
            Scenario::Fuel => "fuel",
            Scenario::VehicleService => "vehicle_service",
            Scenario::Shopping => "shopping",
            Scenario::Health => "health",
            Scenario::Travel => "travel",
        }
    }
    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
    pub fn label(self) -> T {
        match self {
            Scenario::Catering => T::ScenarioCatering,
            Scenario::Fuel => T::ScenarioFuel,
            Scenario::VehicleService => T::ScenarioVehicle,
            Scenario::Shopping => T::ScenarioShopping,
            Scenario::Health => T::ScenarioHealth,
            Scenario::Travel => T::ScenarioTravel,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CampaignKind {
    Coupon,
    GiftPack,
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Coupon => "coupon",
            CampaignKind::GiftPack => "gift_pack",
        }
    }
    pub fn parse(s: &str) -> Option<CampaignKind> {
        [CampaignKind::Coupon, CampaignKind::GiftPack].into_iter().find(|k| k.as_str() == s.trim())
    }
    pub fn label(self) -> T {
        match self {
            CampaignKind::Coupon => T::KindCoupon,
            CampaignKind::GiftPack => T::KindGiftPack,
        }
    }
}

/// A coupon as its holder sees it (void and expired are worked out when read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponState {
    Unused,
    Redeemed,
    Expired,
    Void,
}

impl CouponState {
    pub fn label(self) -> T {
        match self {
            CouponState::Unused => T::CouponUnused,
            CouponState::Redeemed => T::CouponRedeemed,
            CouponState::Expired => T::CouponExpired,
            CouponState::Void => T::CouponVoid,
        }
    }

    /// A status as stored in `coupons.status`: `unused`, `redeemed` or `void` (expired is never
    /// stored); anything else is `None`.
    pub fn parse_stored(s: &str) -> Option<CouponState> {
        match s {
            "unused" => Some(CouponState::Unused),
            "redeemed" => Some(CouponState::Redeemed),
            "void" => Some(CouponState::Void),
            _ => None,
        }
    }

    /// From the stored status, the member's standing and the campaign's last redemption time.
    pub fn of(stored: CouponState, member_left: bool, redeem_until: i64, now: i64) -> CouponState {
        match stored {
            CouponState::Unused if member_left => CouponState::Void,
            CouponState::Unused if now > redeem_until => CouponState::Expired,
            other => other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantRow {
    pub id: i64,
    pub name: String,
    pub scenario: Scenario,
    pub partner: Option<String>,
    pub staff: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignRow {
    pub id: i64,
    pub kind: CampaignKind,
    pub title: String,
    pub description: String,
    pub stock: i64,
    pub claimed: i64,
    pub per_member: i64,
    pub claim_from: i64,
    pub claim_until: i64,
    pub redeem_until: i64,
    pub target_org_id: Option<i64>,
    pub target_occupation: Option<String>,
    pub new_member_days: Option<i64>,
    pub welcome: bool,
    pub created_at: i64,
}

/// What the city admin typed into the campaign form, kept for a re-render.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignInput {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub merchants: Vec<String>,
    pub stock: String,
    pub per_member: String,
    pub claim_from: String,
    pub claim_until: String,
    pub redeem_until: String,
    pub target_org: String,
    pub occupation: String,
    pub new_member_days: String,
    pub welcome: String,
}

/// `/admin/benefits`: partners, merchants, campaigns, and the forms to add them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenefitsAdminView {
    pub admin: AdminInfo,
    pub partners: Vec<(i64, String)>,
    pub merchants: Vec<MerchantRow>,
    pub campaigns: Vec<CampaignListItem>,
    pub orgs: Vec<crate::org::OrgChoice>,
    pub input: CampaignInput,
    /// A notice, or an error with the field it belongs to.
    pub notice: Option<(T, bool)>,
    pub field_error: Option<(&'static str, T)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignListItem {
    pub id: i64,
    pub title: String,
    pub kind: CampaignKind,
    pub stock: i64,
    pub claimed: i64,
    pub window: String,
    pub welcome: bool,
}

/// One line of a campaign's figures: a day, a merchant (None: claims of the day), counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FigureLine {
    pub day: String,
    pub merchant: Option<String>,
    pub claimed: i64,
    pub redeemed: i64,
}

/// `/admin/benefits/{id}`: a campaign's figures and its recent redemptions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignView {
    pub admin: AdminInfo,
    pub campaign: CampaignRow,
    pub merchants: Vec<String>,
    pub redeemed: i64,
    pub lines: Vec<FigureLine>,
    pub redemptions: Vec<RedemptionItem>,
    pub notice: Option<(T, bool)>,
}

/// A redemption as the merchant's and the city admin's lists show it: masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedemptionItem {
    pub id: i64,
    pub campaign: String,
    pub merchant: String,
    pub name_masked: String,
    pub at: String,
    pub reversed: Option<String>,
}

/// The merchant's own page: who is signed in, its merchant, recent redemptions, staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantHomeView {
    pub admin: AdminInfo,
    pub merchant: String,
    pub manager: bool,
    pub redemptions: Vec<RedemptionItem>,
    pub staff: Vec<(String, String, bool)>,
    pub notice: Option<(T, bool)>,
}

/// What a typed or scanned code found, shown before the staff confirm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedeemFound {
    pub campaign: String,
    pub kind: CampaignKind,
    pub description: String,
    pub name_masked: String,
    /// The code as the confirm form carries it again: `d:<digits>` or `t:<token>`.
    pub code: String,
}

/// `/merchant/redeem`: the digits form, a found coupon to confirm, or an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedeemView {
    pub admin: AdminInfo,
    pub merchant: String,
    pub digits: String,
    pub found: Option<RedeemFound>,
    pub notice: Option<(T, bool)>,
    /// With `T::RedeemWait`: when typing may start again ("HH:MM").
    pub wait_until: Option<String>,
}

/// A campaign open to the member, with what the claim button would answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenCampaign {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub kind: CampaignKind,
    pub left: i64,
    pub until: String,
    pub merchants: String,
    pub mine: i64,
    pub per_member: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyCoupon {
    pub id: i64,
    pub title: String,
    pub kind: CampaignKind,
    pub state: CouponState,
    pub redeem_until: String,
    pub merchants: String,
}

/// `/me/benefits`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyBenefitsView {
    pub open: Vec<OpenCampaign>,
    pub coupons: Vec<MyCoupon>,
    pub notice: Option<(T, bool)>,
}

/// `/me/benefits/coupons/{id}`: a coupon with its one-time code (QR and digits) while unused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponCodeView {
    pub coupon: MyCoupon,
    /// The QR as an SVG drawn on the server, the digits grouped "1234 5678", valid until "HH:MM".
    pub code: Option<(String, String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::parse(s.as_str()), Some(s));
        }
        assert_eq!(CampaignKind::parse("gift_pack"), Some(CampaignKind::GiftPack));
        assert_eq!(Scenario::parse("casino"), None);
    }

    #[test]
    fn coupon_states_are_worked_out_when_read() {
        use CouponState::*;
        assert_eq!(CouponState::of(Unused, false, 100, 50), Unused);
        assert_eq!(CouponState::of(Unused, false, 100, 101), Expired);
        assert_eq!(CouponState::of(Unused, true, 100, 50), Void);
        assert_eq!(CouponState::of(Redeemed, true, 100, 500), Redeemed);
        assert_eq!(CouponState::of(Void, false, 100, 50), Void);
    }

    #[test]
    fn stored_statuses_parse_or_refuse() {
        assert_eq!(CouponState::parse_stored("unused"), Some(CouponState::Unused));
        assert_eq!(CouponState::parse_stored("redeemed"), Some(CouponState::Redeemed));
        assert_eq!(CouponState::parse_stored("void"), Some(CouponState::Void));
        assert_eq!(CouponState::parse_stored("expired"), None, "worked out when read, never stored");
        assert_eq!(CouponState::parse_stored("lost"), None);
        assert_eq!(CampaignKind::parse("lottery"), None);
    }
}
