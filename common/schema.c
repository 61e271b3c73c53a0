/* schema.c - the synced tables; see schema.h. */
#include "schema.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <openssl/sha.h>

#include "frame.h"

#include "vocab.h"

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/*
 * Every enum list is the vocabulary's (common/vocab.c): one table holds the
 * codes, labels and aliases, and the canonical text below lists the stored
 * values in the vocabulary's order, so the hash stays deterministic.
 */
#define org_kinds          vocab_vals_org_kind
#define branch_types       vocab_vals_branch_type
#define genders            vocab_vals_gender
#define ethnicities        vocab_vals_ethnicity
#define educations         vocab_vals_education
#define categories         vocab_vals_category
#define standings          vocab_vals_standing
#define meeting_kinds      vocab_vals_meeting_kind
#define attendance_states  vocab_vals_attendance
#define item_kinds         vocab_vals_item_kind
#define item_states        vocab_vals_item_status
#define transfer_states    vocab_vals_transfer_status
#define dev_stages         vocab_vals_dev_stage
#define leave_reasons      vocab_vals_leave_reason
#define discipline_kinds   vocab_vals_discipline_kind
#define dues_classes       vocab_vals_dues_class
#define committee_roles    vocab_vals_committee_role
#define unit_kinds         vocab_vals_unit_kind
#define claim_states       vocab_vals_claim_state
#define wish_states        vocab_vals_wish_status
#define feedback_sources   vocab_vals_feedback_source
#define feedback_cats      vocab_vals_feedback_category
#define feedback_states    vocab_vals_feedback_status
#define assess_targets     vocab_vals_assess_target

#define K MERGE_KEEP_SERVER
#define N MERGE_NEWER_WINS
#define I MERGE_IMMUTABLE
#define P SENS_PUBLIC
#define S SENS_PERSONAL
#define R COLF_REQUIRED
#define U COLF_UNIQUE
#define A COLF_ANYSCOPE
#define PN COLF_PERSON_NAME
#define SH COLF_SHARE

static const struct col_def org_cols[] = {
	{ "code",       "组织编码", COL_TEXT, R | U, I, P, 32, NULL, NULL },
	{ "name",       "组织名称", COL_TEXT, R, K, P, 200, NULL, NULL },
	{ "kind",       "组织类别", COL_ENUM, R, K, P, 32, NULL, org_kinds },
	{ "branch_type","支部类型", COL_ENUM, 0, K, P, 32, NULL, branch_types },
	{ "parent_id",  "上级组织", COL_REF, 0, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "secretary",  "书记",     COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "founded_on", "成立日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "term_start", "届期开始", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "term_end",   "届期结束", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "dissolved",  "已撤销",   COL_BOOL, 0, K, P, 0, NULL, NULL },
};

static const struct col_def member_cols[] = {
	{ "name",          "姓名",         COL_TEXT, R | PN, K, S, 100, NULL, NULL },
	{ "gender",        "性别",         COL_ENUM, R, K, S, 16, NULL, genders },
	{ "ethnicity",     "民族",         COL_ENUM, R, K, S, 32, NULL, ethnicities },
	{ "id_number",     "公民身份号码", COL_TEXT, R | U, K, S, 18, NULL, NULL },
	{ "birth_date",    "出生日期",     COL_DATE, R, K, S, 10, NULL, NULL },
	{ "education",     "学历",         COL_ENUM, R, K, S, 32, NULL, educations },
	{ "category",      "人员类别",     COL_ENUM, R, K, S, 16, NULL, categories },
	{ "org_id",        "所在党支部",   COL_REF, R, K, P, SCHEMA_ID_LEN, "org", NULL },
	{ "join_date",     "入党日期",     COL_DATE, R, K, S, 10, NULL, NULL },
	{ "full_date",     "转正日期",     COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "job",           "工作岗位",     COL_TEXT, 0, N, S, 100, NULL, NULL },
	{ "phone",         "联系电话",     COL_TEXT, 0, N, S, 32, NULL, NULL },
	{ "address",       "家庭住址",     COL_TEXT, 0, N, S, 200, NULL, NULL },
	{ "standing",      "党籍状态",     COL_ENUM, R, K, S, 16, NULL, standings },
	{ "lost_contact",  "失联党员",     COL_BOOL, 0, K, S, 0, NULL, NULL },
	{ "lost_since",    "失联日期",     COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "lost_note",     "失联情形",     COL_TEXT, 0, K, S, 500, NULL, NULL },
	{ "mobile",        "流动党员",     COL_BOOL, 0, K, S, 0, NULL, NULL },
	{ "flow_to",       "外出流向",     COL_TEXT, 0, K, S, 200, NULL, NULL },
	{ "retired",       "离退休",       COL_BOOL, 0, K, S, 0, NULL, NULL },
	{ "in_service",    "在职党员",     COL_BOOL, 0, K, S, 0, NULL, NULL },
	{ "relocated",     "拆迁党员",     COL_BOOL, 0, K, S, 0, NULL, NULL },
	{ "report_org_id", "报到社区",     COL_REF, A, K, S, SCHEMA_ID_LEN, "org", NULL },
	/* A citizen ID whose region code GB/T 2260 lacks, checked by a person (validate.c). */
	{ "id_region_verified", "地区码已核实", COL_BOOL, 0, K, S, 0, NULL, NULL },
	/* The member's life after admission (发展党员 and 党员减少; see validate.c). */
	{ "probation_until",   "预备期满日期", COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "extension_meeting_id", "延长预备期会议", COL_REF, 0, K, P, SCHEMA_ID_LEN, "meeting", NULL },
	{ "full_meeting_id",   "转正会议",     COL_REF, 0, K, P, SCHEMA_ID_LEN, "meeting", NULL },
	{ "left_reason",       "减少方式",     COL_ENUM, 0, K, S, 16, NULL, leave_reasons },
	{ "left_on",           "减少日期",     COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "left_note",         "减少原因",     COL_TEXT, 0, K, S, 500, NULL, NULL },
	/*
	 * 党费: the class of the 党费收缴 rules the member pays under, and the
	 * base in fen (分): the monthly income after tax (salaried, retired), or
	 * the amount chosen between 20 and 100 fen (farmers); unused for the
	 * fixed 0.2 元 classes. The monthly amount is computed (common/dues.c).
	 */
	{ "dues_class",        "党费类别",     COL_ENUM, 0, K, S, 16, NULL, dues_classes },
	{ "dues_base",         "党费基数（分）", COL_INT, 0, K, S, 0, NULL, NULL },
};

static const struct col_def meeting_cols[] = {
	{ "org_id",   "组织",     COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "kind",     "会议类型", COL_ENUM, R, K, P, 32, NULL, meeting_kinds },
	{ "held_on",  "日期",     COL_DATE, R, K, P, 10, NULL, NULL },
	{ "topic",    "主题",     COL_TEXT, R, K, P, 200, NULL, NULL },
	{ "host",     "主持人",   COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "recorder", "记录人",   COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "minutes",  "会议记录", COL_TEXT, 0, K, P, 20000, NULL, NULL },
};

static const struct col_def attendance_cols[] = {
	{ "meeting_id", "会议", COL_REF, R, I, P, SCHEMA_ID_LEN, "meeting", NULL },
	{ "member_id",  "党员", COL_REF, R, I, P, SCHEMA_ID_LEN, "member", NULL },
	{ "status",     "出勤", COL_ENUM, R, K, P, 16, NULL, attendance_states },
	{ "reason",     "请假事由", COL_TEXT, 0, K, P, 200, NULL, NULL },
};

static const struct col_def list_item_cols[] = {
	{ "org_id",        "组织",     COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "kind",          "清单类型", COL_ENUM, R, K, P, 32, NULL, item_kinds },
	{ "title",         "事项",     COL_TEXT, R, K, P, 200, NULL, NULL },
	{ "detail",        "内容",     COL_TEXT, 0, K, P, 5000, NULL, NULL },
	{ "due_on",        "期限",     COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "status",        "状态",     COL_ENUM, R, K, P, 16, NULL, item_states },
	{ "claimed_by",    "认领方",   COL_TEXT, 0, K, P, 200, NULL, NULL },
	{ "claimed_on",    "认领日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "rectification", "整改情况", COL_TEXT, 0, K, P, 5000, NULL, NULL },
	{ "rectified_on",  "整改日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "closed_on",     "销号日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "close_note",    "销号说明", COL_TEXT, 0, K, P, 2000, NULL, NULL },
};

/*
 * The sending office names the receiving organisation by code (it cannot
 * see the receiving office's rows); the server fills in to_org_id. The
 * member's name is a snapshot for the receiving office, blanked when the
 * transfer is accepted so the sending office keeps no personal data.
 */
static const struct col_def transfer_cols[] = {
	{ "member_id",     "党员",     COL_REF, R, I, P, SCHEMA_ID_LEN, "member", NULL },
	{ "from_org_id",   "转出组织", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "to_org_id",     "转入组织", COL_REF, 0, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "to_org_code",   "转入组织编码", COL_TEXT, R, I, P, 32, NULL, NULL },
	{ "member_name",   "党员姓名", COL_TEXT, PN, K, S, 100, NULL, NULL },
	{ "requested_on",  "申请日期", COL_DATE, R, K, P, 10, NULL, NULL },
	{ "reason",        "转接原因", COL_TEXT, 0, K, P, 500, NULL, NULL },
	{ "status",        "状态",     COL_ENUM, R, K, P, 16, NULL, transfer_states },
	{ "decided_on",    "办理日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "decision_note", "办理说明", COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/*
 * A person on the way to membership (发展党员): 入党申请人, 入党积极分子,
 * 发展对象, each step with its date and the branch meeting that decided it.
 * Admission as a probationary member makes a member row (member_id) in the
 * same local transaction; the row stays as the record of the development.
 */
static const struct col_def applicant_cols[] = {
	{ "org_id",       "所在党支部",   COL_REF, R, K, P, SCHEMA_ID_LEN, "org", NULL },
	{ "name",         "姓名",         COL_TEXT, R | PN, K, S, 100, NULL, NULL },
	{ "gender",       "性别",         COL_ENUM, R, K, S, 16, NULL, genders },
	{ "ethnicity",    "民族",         COL_ENUM, R, K, S, 32, NULL, ethnicities },
	{ "id_number",    "公民身份号码", COL_TEXT, R | U, K, S, 18, NULL, NULL },
	{ "birth_date",   "出生日期",     COL_DATE, R, K, S, 10, NULL, NULL },
	{ "education",    "学历",         COL_ENUM, 0, K, S, 32, NULL, educations },
	{ "job",          "工作岗位",     COL_TEXT, 0, N, S, 100, NULL, NULL },
	{ "phone",        "联系电话",     COL_TEXT, 0, N, S, 32, NULL, NULL },
	{ "stage",        "发展阶段",     COL_ENUM, R, K, S, 16, NULL, dev_stages },
	{ "applied_on",   "递交申请日期", COL_DATE, R, K, S, 10, NULL, NULL },
	{ "activist_on",  "确定积极分子日期", COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "activist_meeting_id", "确定积极分子会议", COL_REF, 0, K, P, SCHEMA_ID_LEN, "meeting", NULL },
	{ "candidate_on", "确定发展对象日期", COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "candidate_meeting_id", "确定发展对象会议", COL_REF, 0, K, P, SCHEMA_ID_LEN, "meeting", NULL },
	{ "admitted_on",  "接收预备党员日期", COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "admitted_meeting_id", "接收预备党员会议", COL_REF, 0, K, P, SCHEMA_ID_LEN, "meeting", NULL },
	{ "member_id",    "党员记录",     COL_REF, 0, K, S, SCHEMA_ID_LEN, "member", NULL },
	{ "id_region_verified", "地区码已核实", COL_BOOL, 0, K, S, 0, NULL, NULL },
	{ "note",         "备注",         COL_TEXT, 0, K, S, 500, NULL, NULL },
};

/* A disciplinary sanction (党纪处分) on a member's record; it goes where the member goes. */
static const struct col_def discipline_cols[] = {
	{ "member_id",  "党员",       COL_REF, R, I, S, SCHEMA_ID_LEN, "member", NULL },
	{ "kind",       "处分种类",   COL_ENUM, R, K, S, 32, NULL, discipline_kinds },
	{ "decided_on", "处分日期",   COL_DATE, R, K, S, 10, NULL, NULL },
	{ "decided_by", "决定机关",   COL_TEXT, 0, K, S, 200, NULL, NULL },
	{ "grounds",    "处分事由",   COL_TEXT, R, K, S, 2000, NULL, NULL },
	{ "until",      "察看期满",   COL_DATE, 0, K, S, 10, NULL, NULL },
	{ "note",       "备注",       COL_TEXT, 0, K, S, 500, NULL, NULL },
};

/*
 * One month's dues paid by a member. period is "MEMBER_ID/YYYY-MM" and
 * unique: the same month recorded at two offices is a conflict for the
 * street, never a second payment (validate.c ties it to member_id and month).
 */
static const struct col_def dues_payment_cols[] = {
	{ "member_id",   "党员",     COL_REF, R, I, S, SCHEMA_ID_LEN, "member", NULL },
	{ "month",       "月份",     COL_TEXT, R, I, S, 7, NULL, NULL },
	{ "period",      "交费期",   COL_TEXT, R | U, I, S, SCHEMA_ID_LEN + 8, NULL, NULL },
	{ "amount",      "金额（分）", COL_INT, R, K, S, 0, NULL, NULL },
	{ "paid_on",     "交纳日期", COL_DATE, R, K, S, 10, NULL, NULL },
	{ "received_by", "收缴人",   COL_TEXT, 0, K, S, 100, NULL, NULL },
	{ "note",        "备注",     COL_TEXT, 0, K, S, 500, NULL, NULL },
};

/*
 * A seat on an organisation's committee (支部委员会, 社区党委) with its
 * term. member_id when the person is a member this office holds; a
 * part-time member (兼职委员) from a resident unit is named only.
 */
static const struct col_def committee_member_cols[] = {
	{ "org_id",     "组织",     COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "member_id",  "党员",     COL_REF, 0, K, P, SCHEMA_ID_LEN, "member", NULL },
	{ "name",       "姓名",     COL_TEXT, R | PN, K, P, 100, NULL, NULL },
	{ "role",       "职务",     COL_ENUM, R, K, P, 32, NULL, committee_roles },
	{ "started_on", "任职日期", COL_DATE, R, K, P, 10, NULL, NULL },
	{ "ended_on",   "离任日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",       "备注",     COL_TEXT, 0, K, P, 500, NULL, NULL },
	/* The resident unit a part-time member (兼职委员) comes from. */
	{ "unit_id",    "所在驻区单位", COL_REF, A, K, P, SCHEMA_ID_LEN, "resident_unit", NULL },
};

/* 党员中心户: a member's household that keeps in touch with households of a grid. */
static const struct col_def center_household_cols[] = {
	{ "org_id",     "所在党支部", COL_REF, R, K, P, SCHEMA_ID_LEN, "org", NULL },
	{ "member_id",  "中心户党员", COL_REF, R, K, P, SCHEMA_ID_LEN, "member", NULL },
	{ "grid",       "网格",       COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "address",    "住址",       COL_TEXT, 0, K, S, 200, NULL, NULL },
	{ "started_on", "设立日期",   COL_DATE, R, K, P, 10, NULL, NULL },
	{ "ended_on",   "撤销日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",       "备注",       COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/* A household a 党员中心户 covers (联系户); residents' data, personal. */
static const struct col_def covered_household_cols[] = {
	{ "center_id",  "党员中心户", COL_REF, R, I, P, SCHEMA_ID_LEN, "center_household", NULL },
	{ "head_name",  "户主姓名",   COL_TEXT, R | PN, K, S, 100, NULL, NULL },
	{ "address",    "住址",       COL_TEXT, R, K, S, 200, NULL, NULL },
	{ "phone",      "联系电话",   COL_TEXT, 0, N, S, 32, NULL, NULL },
	{ "note",       "备注",       COL_TEXT, 0, K, S, 500, NULL, NULL },
};

/*
 * 在职党员到社区报到 (双报到): the limited record a community keeps of an
 * in-service member who reports to it. The member's own office makes it
 * (member report) and both see it: home_org_id (the member's branch; the
 * community itself for a member from outside the street) is its scope,
 * org_id (the community reported to) its second scope. It carries what the
 * community needs and no more: not the citizen ID, not the profile.
 */
static const struct col_def service_report_cols[] = {
	{ "home_org_id", "所在党组织", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "org_id",      "报到社区",   COL_REF, 0, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "member_id",   "党员",       COL_REF, 0, I, P, SCHEMA_ID_LEN, "member", NULL },
	{ "name",        "姓名",       COL_TEXT, R | PN, K, P, 100, NULL, NULL },
	{ "unit",        "工作单位",   COL_TEXT, 0, K, P, 200, NULL, NULL },
	{ "phone",       "联系电话",   COL_TEXT, 0, N, P, 32, NULL, NULL },
	{ "reported_on", "报到日期",   COL_DATE, R, K, P, 10, NULL, NULL },
	{ "ended_on",    "结束日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",        "备注",       COL_TEXT, 0, K, P, 500, NULL, NULL },
	/*
	 * The community by its code, for an office that does not hold the
	 * community's row (another community of the street): the server fills
	 * org_id from it, as it fills a transfer's to_org_id.
	 */
	{ "org_code",    "报到社区编码", COL_TEXT, 0, I, P, 32, NULL, NULL },
};

/*
 * A service an in-service member did in the community (志愿服务), recorded
 * by the community (org_id, the scope) and seen by his own office
 * (home_org_id, the second scope) for the report back to his unit.
 */
static const struct col_def service_record_cols[] = {
	{ "org_id",      "报到社区",   COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "home_org_id", "所在党组织", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "report_id",   "报到登记",   COL_REF, R | A, I, P, SCHEMA_ID_LEN, "service_report", NULL },
	{ "served_on",   "服务日期",   COL_DATE, R, K, P, 10, NULL, NULL },
	{ "activity",    "服务内容",   COL_TEXT, R, K, P, 500, NULL, NULL },
	{ "minutes",     "服务时长（分钟）", COL_INT, R, K, P, 0, NULL, NULL },
	{ "note",        "备注",       COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/*
 * Co-building (共驻共建, docs/cobuilding.md). A resident unit (驻区单位)
 * belongs to the community it sits in (org_id, its scope); a community that
 * signs a co-building agreement with it sees it too, through the
 * agreement's shared reference (COLF_SHARE), so a unit that co-builds with
 * two communities is one row both hold. credit_code, the unit's 统一社会
 * 信用代码 (GB 32100, check character verified), is unique: the same unit
 * registered by two offices is a conflict for the street.
 */
static const struct col_def resident_unit_cols[] = {
	{ "org_id",        "所在社区",     COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "name",          "单位名称",     COL_TEXT, R, K, P, 200, NULL, NULL },
	{ "kind",          "单位类别",     COL_ENUM, R, K, P, 32, NULL, unit_kinds },
	{ "credit_code",   "统一社会信用代码", COL_TEXT, U, K, P, 18, NULL, NULL },
	{ "party_org",     "单位党组织",   COL_TEXT, 0, K, P, 200, NULL, NULL },
	{ "party_members", "党员人数",     COL_INT, 0, K, P, 0, NULL, NULL },
	{ "contact_name",  "联系人",       COL_TEXT, PN, N, S, 100, NULL, NULL },
	{ "contact_phone", "联系电话",     COL_TEXT, 0, N, S, 32, NULL, NULL },
	{ "address",       "单位地址",     COL_TEXT, 0, K, P, 200, NULL, NULL },
	{ "joined_on",     "加入日期",     COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "left_on",       "退出日期",     COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",          "备注",         COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/* 共建协议: what a community and a resident unit each committed to, and when. */
static const struct col_def agreement_cols[] = {
	{ "org_id",            "社区",       COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "unit_id",           "驻区单位",   COL_REF, A | SH, I, P, SCHEMA_ID_LEN, "resident_unit", NULL },
	/*
	 * The unit by its credit code, for an office that does not hold the
	 * unit's row (it sits in another community): the server fills unit_id.
	 */
	{ "unit_code",         "单位信用代码", COL_TEXT, 0, I, P, 18, NULL, NULL },
	{ "signed_on",         "签订日期",   COL_DATE, R, K, P, 10, NULL, NULL },
	{ "ends_on",           "到期日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "unit_commits",      "单位承诺",   COL_TEXT, 0, K, P, 2000, NULL, NULL },
	{ "community_commits", "社区承诺",   COL_TEXT, 0, K, P, 2000, NULL, NULL },
	{ "ended_on",          "终止日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",              "备注",       COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/*
 * A claim (双向认领) on a list item of any kind: by a branch, a resident
 * unit or a member (exactly one, validate.c), with its state and result.
 * It belongs to the item's organisation.
 */
static const struct col_def claim_cols[] = {
	{ "item_id",      "清单事项", COL_REF, R, I, P, SCHEMA_ID_LEN, "list_item", NULL },
	{ "by_org_id",    "认领支部", COL_REF, 0, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "by_unit_id",   "认领单位", COL_REF, A, I, P, SCHEMA_ID_LEN, "resident_unit", NULL },
	{ "by_member_id", "认领党员", COL_REF, 0, I, P, SCHEMA_ID_LEN, "member", NULL },
	{ "state",        "认领状态", COL_ENUM, R, K, P, 16, NULL, claim_states },
	{ "claimed_on",   "认领日期", COL_DATE, R, K, P, 10, NULL, NULL },
	{ "done_on",      "完成日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "result",       "完成情况", COL_TEXT, 0, K, P, 2000, NULL, NULL },
	{ "note",         "备注",     COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/*
 * 微心愿: a resident's small wish (the resident is personal data), claimed
 * by a member, a resident unit or a branch, and fulfilled. value is the
 * estimate in fen (分).
 */
static const struct col_def micro_wish_cols[] = {
	{ "org_id",        "社区或支部", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "resident_name", "居民姓名",   COL_TEXT, R | PN, K, S, 100, NULL, NULL },
	{ "household",     "家庭住址",   COL_TEXT, 0, K, S, 200, NULL, NULL },
	{ "grid",          "网格",       COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "wish",          "心愿内容",   COL_TEXT, R, K, P, 500, NULL, NULL },
	{ "value",         "估值（分）", COL_INT, 0, K, P, 0, NULL, NULL },
	{ "status",        "状态",       COL_ENUM, R, K, P, 16, NULL, wish_states },
	{ "posted_on",     "征集日期",   COL_DATE, R, K, P, 10, NULL, NULL },
	{ "by_member_id",  "认领党员",   COL_REF, 0, K, P, SCHEMA_ID_LEN, "member", NULL },
	{ "by_unit_id",    "认领单位",   COL_REF, A, K, P, SCHEMA_ID_LEN, "resident_unit", NULL },
	{ "by_org_id",     "认领支部",   COL_REF, 0, K, P, SCHEMA_ID_LEN, "org", NULL },
	{ "claimed_on",    "认领日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "fulfilled_on",  "实现日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "photo",         "照片",       COL_TEXT, 0, K, P, 500, NULL, NULL },
	{ "note",          "备注",       COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/* 民情回音壁: a resident's opinion, who handles it, and the reply (回音). */
static const struct col_def feedback_cols[] = {
	{ "org_id",            "社区或支部", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "received_on",       "收集日期",   COL_DATE, R, K, P, 10, NULL, NULL },
	{ "source",            "来源",       COL_ENUM, R, K, P, 16, NULL, feedback_sources },
	{ "grid",              "网格",       COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "category",          "类别",       COL_ENUM, R, K, P, 16, NULL, feedback_cats },
	{ "resident_name",     "反映人",     COL_TEXT, PN, K, S, 100, NULL, NULL },
	{ "resident_phone",    "联系电话",   COL_TEXT, 0, N, S, 32, NULL, NULL },
	{ "content",           "反映内容",   COL_TEXT, R, K, P, 2000, NULL, NULL },
	{ "handler_member_id", "承办党员",   COL_REF, 0, K, P, SCHEMA_ID_LEN, "member", NULL },
	{ "handler",           "承办人",     COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "status",            "状态",       COL_ENUM, R, K, P, 16, NULL, feedback_states },
	{ "reply",             "回音",       COL_TEXT, 0, K, P, 2000, NULL, NULL },
	{ "replied_on",        "回音日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",              "备注",       COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/* 志愿服务队, its activities, and who served how long at each. */
static const struct col_def volunteer_team_cols[] = {
	{ "org_id",     "所属组织", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "name",       "服务队名称", COL_TEXT, R, K, P, 100, NULL, NULL },
	{ "leader",     "队长",     COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "founded_on", "成立日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "ended_on",   "撤销日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",       "备注",     COL_TEXT, 0, K, P, 500, NULL, NULL },
};

static const struct col_def volunteer_activity_cols[] = {
	{ "team_id", "服务队",   COL_REF, R, I, P, SCHEMA_ID_LEN, "volunteer_team", NULL },
	{ "held_on", "活动日期", COL_DATE, R, K, P, 10, NULL, NULL },
	{ "place",   "地点",     COL_TEXT, 0, K, P, 200, NULL, NULL },
	{ "topic",   "活动内容", COL_TEXT, R, K, P, 500, NULL, NULL },
	{ "note",    "备注",     COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/*
 * One participant's time at an activity: a member of this office
 * (member_id), an in-service member reported to the community (report_id:
 * his own office sees the hours too, for the report back to his unit), or
 * a resident who is not a member (name only). name is always kept.
 */
static const struct col_def volunteer_hours_cols[] = {
	{ "activity_id", "志愿活动", COL_REF, R, I, P, SCHEMA_ID_LEN, "volunteer_activity", NULL },
	{ "report_id",   "报到登记", COL_REF, A, I, P, SCHEMA_ID_LEN, "service_report", NULL },
	{ "member_id",   "党员",     COL_REF, 0, I, P, SCHEMA_ID_LEN, "member", NULL },
	{ "name",        "姓名",     COL_TEXT, R | PN, K, S, 100, NULL, NULL },
	{ "minutes",     "服务时长（分钟）", COL_INT, R, K, P, 0, NULL, NULL },
	{ "note",        "备注",     COL_TEXT, 0, K, P, 500, NULL, NULL },
	/*
	 * The activity's date and what was done, as they were when the hours
	 * were entered: the in-service member's own office receives the hours
	 * but not the community's activity, and reports them back by year.
	 */
	{ "held_on",     "活动日期", COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "topic",       "活动内容", COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/*
 * The year's 100-point scheme (考核): indicators set by the street (or a
 * district) and seen by every organisation under it (TBLF_DOWN); scores
 * given to a community or a branch, one per indicator (score_key
 * "ORG_ID/INDICATOR_ID", unique: two scorers of one indicator are a
 * conflict). Points are kept in tenths.
 */
static const struct col_def assessment_indicator_cols[] = {
	{ "org_id",   "制定组织", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "year",     "年度",     COL_INT, R, I, P, 0, NULL, NULL },
	{ "target",   "考核对象", COL_ENUM, R, I, P, 16, NULL, assess_targets },
	{ "code",     "指标编号", COL_TEXT, R, K, P, 32, NULL, NULL },
	{ "name",     "考核指标", COL_TEXT, R, K, P, 200, NULL, NULL },
	{ "points",   "分值",     COL_INT, R, K, P, 0, NULL, NULL },
	{ "evidence", "考核依据", COL_TEXT, 0, K, P, 1000, NULL, NULL },
};

static const struct col_def assessment_score_cols[] = {
	{ "org_id",       "被考核组织", COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "indicator_id", "考核指标",   COL_REF, R | A, I, P, SCHEMA_ID_LEN, "assessment_indicator", NULL },
	{ "score_key",    "评分键",     COL_TEXT, R | U, I, P, 2 * SCHEMA_ID_LEN + 1, NULL, NULL },
	{ "points10",     "得分（0.1分）", COL_INT, R, K, P, 0, NULL, NULL },
	{ "scorer",       "评分人",     COL_TEXT, R, K, P, 100, NULL, NULL },
	{ "scored_on",    "评分日期",   COL_DATE, R, K, P, 10, NULL, NULL },
	{ "evidence",     "评分说明",   COL_TEXT, 0, K, P, 1000, NULL, NULL },
};

/* 评星定级: a branch's stars (1 to 5) for a year; rating_key "ORG_ID/YYYY" is unique. */
static const struct col_def star_rating_cols[] = {
	{ "org_id",     "党支部",   COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "year",       "年度",     COL_INT, R, I, P, 0, NULL, NULL },
	{ "rating_key", "评定键",   COL_TEXT, R | U, I, P, SCHEMA_ID_LEN + 5, NULL, NULL },
	{ "stars",      "星级",     COL_INT, R, K, P, 0, NULL, NULL },
	{ "rated_by",   "评定组织", COL_TEXT, 0, K, P, 100, NULL, NULL },
	{ "rated_on",   "评定日期", COL_DATE, R, K, P, 10, NULL, NULL },
	{ "note",       "备注",     COL_TEXT, 0, K, P, 500, NULL, NULL },
};

/*
 * 服务群众专项经费: a community's budget for a year (budget_key "ORG_ID/YYYY",
 * unique) and what it spent, in fen, each entry with its approver and, where
 * it paid for one, the project item or the wish.
 */
static const struct col_def fund_budget_cols[] = {
	{ "org_id",      "社区",       COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "year",        "年度",       COL_INT, R, I, P, 0, NULL, NULL },
	{ "budget_key",  "预算键",     COL_TEXT, R | U, I, P, SCHEMA_ID_LEN + 5, NULL, NULL },
	{ "amount",      "预算金额（分）", COL_INT, R, K, P, 0, NULL, NULL },
	{ "approved_on", "批准日期",   COL_DATE, 0, K, P, 10, NULL, NULL },
	{ "note",        "备注",       COL_TEXT, 0, K, P, 500, NULL, NULL },
};

static const struct col_def fund_spending_cols[] = {
	{ "org_id",   "社区",     COL_REF, R, I, P, SCHEMA_ID_LEN, "org", NULL },
	{ "spent_on", "支出日期", COL_DATE, R, K, P, 10, NULL, NULL },
	{ "purpose",  "用途",     COL_TEXT, R, K, P, 500, NULL, NULL },
	{ "amount",   "金额（分）", COL_INT, R, K, P, 0, NULL, NULL },
	{ "approver", "审批人",   COL_TEXT, R, K, P, 100, NULL, NULL },
	{ "item_id",  "关联项目", COL_REF, 0, K, P, SCHEMA_ID_LEN, "list_item", NULL },
	{ "wish_id",  "关联微心愿", COL_REF, 0, K, P, SCHEMA_ID_LEN, "micro_wish", NULL },
	{ "note",     "备注",     COL_TEXT, 0, K, P, 500, NULL, NULL },
};

#undef K
#undef N
#undef I
#undef P
#undef S
#undef R
#undef U
#undef A
#undef PN
#undef SH

const struct table_def schema_tables[TBL_COUNT] = {
	[TBL_ORG]        = { "org", "组织", org_cols, ARRAY_LEN(org_cols), 4, -1 },
	[TBL_MEMBER]     = { "member", "党员", member_cols, ARRAY_LEN(member_cols), 7, -1 },
	[TBL_MEETING]    = { "meeting", "会议", meeting_cols, ARRAY_LEN(meeting_cols), 0, -1 },
	[TBL_ATTENDANCE] = { "attendance", "出勤", attendance_cols, ARRAY_LEN(attendance_cols), 0, -1 },
	[TBL_LIST_ITEM]  = { "list_item", "清单", list_item_cols, ARRAY_LEN(list_item_cols), 0, -1 },
	[TBL_TRANSFER]   = { "transfer", "组织关系转接", transfer_cols, ARRAY_LEN(transfer_cols), 1, 2 },
	[TBL_APPLICANT]  = { "applicant", "发展党员", applicant_cols, ARRAY_LEN(applicant_cols), 0, -1 },
	[TBL_DISCIPLINE] = { "discipline", "党纪处分", discipline_cols, ARRAY_LEN(discipline_cols), 0, -1 },
	[TBL_DUES_PAYMENT] = { "dues_payment", "党费", dues_payment_cols, ARRAY_LEN(dues_payment_cols), 0, -1 },
	[TBL_COMMITTEE_MEMBER] = { "committee_member", "委员会成员", committee_member_cols,
	    ARRAY_LEN(committee_member_cols), 0, -1 },
	[TBL_CENTER_HOUSEHOLD] = { "center_household", "党员中心户", center_household_cols,
	    ARRAY_LEN(center_household_cols), 0, -1 },
	[TBL_COVERED_HOUSEHOLD] = { "covered_household", "联系户", covered_household_cols,
	    ARRAY_LEN(covered_household_cols), 0, -1 },
	[TBL_SERVICE_REPORT] = { "service_report", "在职党员报到", service_report_cols,
	    ARRAY_LEN(service_report_cols), 0, 1 },
	[TBL_SERVICE_RECORD] = { "service_record", "报到服务", service_record_cols,
	    ARRAY_LEN(service_record_cols), 0, 1 },
	[TBL_RESIDENT_UNIT] = { "resident_unit", "驻区单位", resident_unit_cols,
	    ARRAY_LEN(resident_unit_cols), 0, -1 },
	[TBL_AGREEMENT] = { "agreement", "共建协议", agreement_cols, ARRAY_LEN(agreement_cols), 0, -1 },
	[TBL_CLAIM] = { "claim", "认领", claim_cols, ARRAY_LEN(claim_cols), 0, -1 },
	[TBL_MICRO_WISH] = { "micro_wish", "微心愿", micro_wish_cols, ARRAY_LEN(micro_wish_cols), 0, -1 },
	[TBL_FEEDBACK] = { "feedback", "民情回音壁", feedback_cols, ARRAY_LEN(feedback_cols), 0, -1 },
	[TBL_VOLUNTEER_TEAM] = { "volunteer_team", "志愿服务队", volunteer_team_cols,
	    ARRAY_LEN(volunteer_team_cols), 0, -1 },
	[TBL_VOLUNTEER_ACTIVITY] = { "volunteer_activity", "志愿服务活动", volunteer_activity_cols,
	    ARRAY_LEN(volunteer_activity_cols), 0, -1 },
	[TBL_VOLUNTEER_HOURS] = { "volunteer_hours", "志愿服务时长", volunteer_hours_cols,
	    ARRAY_LEN(volunteer_hours_cols), 0, 1 },
	[TBL_ASSESSMENT_INDICATOR] = { "assessment_indicator", "考核指标", assessment_indicator_cols,
	    ARRAY_LEN(assessment_indicator_cols), 0, -1, TBLF_DOWN },
	[TBL_ASSESSMENT_SCORE] = { "assessment_score", "考核得分", assessment_score_cols,
	    ARRAY_LEN(assessment_score_cols), 0, -1 },
	[TBL_STAR_RATING] = { "star_rating", "评星定级", star_rating_cols,
	    ARRAY_LEN(star_rating_cols), 0, -1 },
	[TBL_FUND_BUDGET] = { "fund_budget", "专项经费预算", fund_budget_cols,
	    ARRAY_LEN(fund_budget_cols), 0, -1 },
	[TBL_FUND_SPENDING] = { "fund_spending", "专项经费支出", fund_spending_cols,
	    ARRAY_LEN(fund_spending_cols), 0, -1 },
};

int
schema_shared(int t)
{
	if (t < 0 || t >= TBL_COUNT)
		return 0;
	for (int u = 0; u < TBL_COUNT; u++)
		for (int c = 0; c < schema_tables[u].ncols; c++) {
			const struct col_def *cd = &schema_tables[u].cols[c];
			if ((cd->flags & COLF_SHARE) && cd->ref_table != NULL &&
			    strcmp(cd->ref_table, schema_tables[t].name) == 0)
				return 1;
		}
	return 0;
}

const struct table_def *
schema_table(const char *name)
{
	int i = schema_table_index(name);
	return i < 0 ? NULL : &schema_tables[i];
}

int
schema_table_index(const char *name)
{
	for (int i = 0; i < TBL_COUNT; i++)
		if (strcmp(schema_tables[i].name, name) == 0)
			return i;
	return -1;
}

int
schema_col_index(const struct table_def *t, const char *name)
{
	/*
	 * The rules ask for the same few (table, literal name) pairs for every
	 * row the server applies: remember the answer by the two pointers. A
	 * hit is confirmed by comparing the name, so a caller's buffer that
	 * holds another name at the same address is still answered right.
	 */
	static _Thread_local struct { const struct table_def *t; const char *name; int col; }
	    memo[64];
	uintptr_t h = ((uintptr_t)t >> 4) ^ ((uintptr_t)name >> 3) ^ ((uintptr_t)name >> 9);
	unsigned slot = (unsigned)(h % (sizeof memo / sizeof memo[0]));

	if (memo[slot].t == t && memo[slot].name == name &&
	    strcmp(t->cols[memo[slot].col].name, name) == 0)
		return memo[slot].col;
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0) {
			memo[slot].t = t;
			memo[slot].name = name;
			memo[slot].col = i;
			return i;
		}
	return -1;
}

int
schema_enum_ok(const struct col_def *c, const char *v)
{
	if (c->enum_vals == NULL)
		return 0;
	for (const char *const *e = c->enum_vals; *e != NULL; e++)
		if (strcmp(*e, v) == 0)
			return 1;
	return 0;
}

static const char *const type_names[] = { "text", "int", "bool", "date", "enum", "ref" };
static const char *const merge_names[] = { "keep_server", "newer_wins", "immutable" };
static const char *const sens_names[] = { "public", "personal" };

const char *
schema_canonical_text(void)
{
	static char text[32768];
	size_t n = 0;

	if (text[0] != '\0')
		return text;
#define PUT(...) (n += (size_t)snprintf(text + n, sizeof text - n, __VA_ARGS__))
	PUT("tongxin-schema 1\n");
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		PUT("table %s scope=%d scope2=%d flags=%u\n", td->name, td->scope_col, td->scope2_col,
		    td->flags);
		for (int c = 0; c < td->ncols; c++) {
			const struct col_def *cd = &td->cols[c];
			PUT(" col %s %s flags=%u %s %s max=%d ref=%s", cd->name, type_names[cd->type],
			    cd->flags, merge_names[cd->merge], sens_names[cd->sens], cd->max_len,
			    cd->ref_table ? cd->ref_table : "-");
			if (cd->enum_vals)
				for (const char *const *e = cd->enum_vals; *e; e++)
					PUT(" %s", *e);
			PUT("\n");
		}
	}
#undef PUT
	return text;
}

void
schema_hash(uint8_t out[32])
{
	const char *t = schema_canonical_text();
	SHA256((const unsigned char *)t, strlen(t), out);
}

static const char *
sql_type(enum col_type t)
{
	return (t == COL_INT || t == COL_BOOL) ? "INTEGER" : "TEXT";
}

int
schema_ddl(char *buf, size_t cap, int server)
{
	size_t n = 0;

#define PUT(...) do {							\
	int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);		\
	if (w_ < 0 || (size_t)w_ >= cap - n) return -1;		\
	n += (size_t)w_;						\
} while (0)
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		PUT("CREATE TABLE %s (\n  id TEXT PRIMARY KEY NOT NULL", td->name);
		for (int c = 0; c < td->ncols; c++) {
			const struct col_def *cd = &td->cols[c];
			/* NOT NULL is not declared: a tombstone on the server keeps
			 * its values, and required-ness is checked at entry and on
			 * the server's apply, where it can be reported properly. */
			PUT(",\n  %s %s", cd->name, sql_type(cd->type));
		}
		if (server)
			PUT(",\n  _version INTEGER NOT NULL,\n  _created INTEGER,\n  _deleted INTEGER NOT NULL DEFAULT 0,"
			    "\n  _scope TEXT NOT NULL,\n  _scope2 TEXT,\n  _hlc INTEGER NOT NULL DEFAULT 0,"
			    "\n  _device TEXT,\n  _echo INTEGER NOT NULL DEFAULT 0");
		else
			PUT(",\n  _version INTEGER NOT NULL DEFAULT 0");
		PUT("\n);\n");
		if (server) {
			/*
			 * The pull's order with the columns of its echo filter: a pull
			 * leaves a device's own echoes out from this index alone, without
			 * reading their rows (store_pull.c; store_migrate makes it in
			 * databases that have the older %s_version).
			 */
			PUT("CREATE INDEX %s_pull ON %s(_version, _scope, _scope2, _echo, _device);\n",
			    td->name, td->name);
			PUT("CREATE INDEX %s_scope ON %s(_scope);\n", td->name, td->name);
		}
		for (int c = 0; c < td->ncols; c++) {
			const struct col_def *cd = &td->cols[c];
			if (cd->flags & COLF_UNIQUE) {
				if (server)
					PUT("CREATE UNIQUE INDEX %s_%s ON %s(%s) WHERE _deleted = 0;\n",
					    td->name, cd->name, td->name, cd->name);
				else
					PUT("CREATE INDEX %s_%s ON %s(%s);\n", td->name, cd->name,
					    td->name, cd->name);
			} else if (cd->type == COL_REF && (server || (cd->flags & COLF_REQUIRED))) {
				PUT("CREATE INDEX %s_%s ON %s(%s);\n", td->name, cd->name, td->name,
				    cd->name);
			} else if (cd->type == COL_REF) {
				/*
				 * A reference a row may leave empty (a member's 转正会议,
				 * an org's parent) is looked up by equality only, which a
				 * partial index serves; rows without one stay out of it.
				 * A first pull builds the replica's indexes after its last
				 * page: an index of 100,000 empty keys took 32-41 ms to
				 * build, a partial one 12-13 ms (the table scan).
				 */
				PUT("CREATE INDEX %s_%s ON %s(%s) WHERE %s IS NOT NULL;\n", td->name,
				    cd->name, td->name, cd->name, cd->name);
			}
		}
	}
#undef PUT
	return (int)n;
}

int
version_print(const char *prog)
{
	uint8_t h[32];

	schema_hash(h);
	printf("%s %s\nprotocol %d, schema ", prog, TONGXIN_VERSION, PROTOCOL_VERSION);
	for (size_t i = 0; i < sizeof h; i++)
		printf("%02x", h[i]);
	printf("\n");
	return 0;
}
