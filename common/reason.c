/* reason.c - refusal and conflict reasons as codes; see reason.h. */
#include "reason.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "schema.h"
#include "vocab.h"

/* One reason: its stable name, how many arguments, and its two templates. */
struct reason_row {
	const char *name;
	int nargs;
	const char *zh;
	const char *en;
};

/*
 * Indexed by code. A row left out (a hole) would be a code without a
 * template: test_reason checks there is none below R_COUNT.
 */
static const struct reason_row reasons[R_COUNT] = {
	[R_NONE] = { "none", 0, "", "" },
	[R_UNKNOWN_TABLE] = { "unknown_table", 1,
	    "未知的数据表（编号 %1）", "unknown table %1" },
	[R_BAD_ROW_ID] = { "bad_row_id", 1,
	    "%t1：记录标识格式错误", "%t1: malformed row id" },
	[R_COUNTS_DIFFER] = { "counts_differ", 1,
	    "%t1：修改中的列、值与原值个数不一致", "%t1: column, value and base counts differ" },
	[R_BAD_COLUMN] = { "bad_column", 2,
	    "%t1：第 %2 列不存在或重复", "%t1: bad or repeated column %2" },
	[R_NOT_INTEGER] = { "not_integer", 1,
	    "%c1应为整数", "%c1 must be an integer" },
	[R_NOT_BOOL] = { "not_bool", 1,
	    "%c1只能是“是”或“否”", "%c1 must be 0 or 1" },
	[R_NOT_TEXT] = { "not_text", 1,
	    "%c1应为文本", "%c1 must be text" },
	[R_TOO_LONG] = { "too_long", 2,
	    "%c1超过 %2 字节", "%c1 is longer than %2 bytes" },
	[R_BAD_UTF8] = { "bad_utf8", 1,
	    "%c1含有无效字符（不是有效的 UTF-8 文本）", "%c1 is not valid UTF-8 text" },
	[R_BAD_DATE] = { "bad_date", 2,
	    "%c1“%2”不是有效的日期，应为 YYYY-MM-DD", "%c1: date \"%2\" is invalid (YYYY-MM-DD)" },
	[R_BAD_ENUM] = { "bad_enum", 2,
	    "%c1的取值“%2”不在允许范围内", "%c1: \"%2\" is not an allowed value" },
	[R_NOT_ROW_ID] = { "not_row_id", 1,
	    "%c1不是有效的记录标识", "%c1 is not a row id" },
	[R_ID_LENGTH] = { "id_number_length", 1,
	    "公民身份号码应为18位，实际为%1位", "the citizen ID number has %1 characters, not 18" },
	[R_ID_DIGITS] = { "id_number_digits", 0,
	    "公民身份号码前17位应为数字", "the first 17 characters of a citizen ID number are digits" },
	[R_ID_BIRTH] = { "id_number_birth", 1,
	    "公民身份号码中的出生日期 %1 无效", "the birth date %1 in the citizen ID number is invalid" },
	[R_ID_CHECK] = { "id_number_check", 1,
	    "公民身份号码校验位错误（应为 %1）", "wrong citizen ID check character (should be %1)" },
	[R_BIRTH_MISMATCH] = { "birth_mismatch", 2,
	    "出生日期 %1 与公民身份号码中的 %2 不符",
	    "birth date %1 differs from %2 in the citizen ID number" },
	[R_FUTURE_DATE] = { "future_date", 2,
	    "%c1 %2 晚于今天 (in the future)", "%c1 %2 is in the future" },
	[R_JOIN_BEFORE_18] = { "join_before_18", 2,
	    "入党日期 %1 早于年满18周岁之日 %2", "join date %1 is before the 18th birthday %2" },
	[R_PROBATIONARY_FULL] = { "probationary_full_date", 0,
	    "预备党员不应有转正日期", "a probationary member has no full-membership date" },
	[R_FULL_TOO_EARLY] = { "full_too_early", 2,
	    "转正日期 %1 早于入党满一年之日 %2",
	    "full-membership date %1 is before one year after joining (%2)" },
	[R_LOST_NEEDS_DATE] = { "lost_needs_date", 0,
	    "失联党员须填写失联日期 (lost_since)", "a lost-contact member needs lost_since" },
	[R_MOBILE_NEEDS_FLOW] = { "mobile_needs_flow", 0,
	    "流动党员须填写外出流向 (flow_to)", "a mobile member needs flow_to" },
	[R_TERM_END_EARLY] = { "term_end_early", 2,
	    "届期结束 %1 早于届期开始 %2", "term end %1 is before term start %2" },
	[R_CLOSE_NEEDS_DATE] = { "close_needs_date", 0,
	    "销号须填写销号日期 (closed_on)", "closing an item needs closed_on" },
	[R_RECTIFY_NEEDS_DATE] = { "rectify_needs_date", 0,
	    "整改须填写整改日期 (rectified_on)", "a rectified item needs rectified_on" },
	[R_CLOSE_BEFORE_RECTIFY] = { "close_before_rectify", 2,
	    "销号日期 %1 早于整改日期 %2", "closed_on %1 is before rectified_on %2" },
	[R_TRANSFER_SAME_ORG] = { "transfer_same_org", 0,
	    "转入组织与转出组织相同", "the receiving organisation is the sending one" },
	[R_REQUIRED] = { "required", 1,
	    "%t1的%c1为必填项", "%t1: %c1 is required" },
	[R_ONE_DISTRICT] = { "one_district", 0,
	    "每个服务器只有一个区，由 tongxind init --district 建立",
	    "org: there is one district per server, created by tongxind init --district" },
	[R_ONE_STREET] = { "one_street", 0,
	    "每个服务器只有一个街道，由 tongxind init 建立",
	    "org: there is one street per server, created by tongxind init" },
	[R_UNSEEN_REF] = { "out_of_scope", 2,
	    "%t1：%c1 %2 不在本设备所属组织的范围内",
	    "%t1: %c1 %2 does not exist in this device's organisation" },
	[R_UNSEEN_ROW] = { "out_of_scope_row", 2,
	    "%t1：记录 %2 不在本设备所属组织的范围内",
	    "%t1: row %2 does not exist in this device's organisation" },
	[R_PARENT_GONE] = { "parent_gone", 2,
	    "%t1：%c1 %2 已被删除或撤销", "%t1: %c1 %2 has been deleted or dissolved" },
	[R_BAD_ORG_CODE] = { "bad_org_code", 0,
	    "组织编码无效", "org: invalid organisation code" },
	[R_TRANSFERRED_OUT] = { "transferred_out", 2,
	    "%t1：记录 %2 在这项修改到达之前已转出本设备所属组织",
	    "%t1: row %2 was transferred out of this device's organisation before this change "
	    "arrived" },
	[R_OWN_ORG_DELETE] = { "own_org_delete", 0,
	    "本设备不能删除自己所属的组织；组织由街道撤销",
	    "org: a device cannot delete the organisation it works for; the street office "
	    "dissolves organisations" },
	[R_OWN_ORG_CHANGE] = { "own_org_change", 1,
	    "本设备不能修改自己所属组织的%c1；这由街道办理",
	    "org: a device cannot change %c1 of the organisation it works for; the street office "
	    "does that" },
	[R_NEEDS_PARENT] = { "needs_parent", 0,
	    "组织须有上级组织", "org: an organisation needs a parent" },
	[R_ID_IN_USE] = { "row_id_in_use", 2,
	    "%t1：记录标识 %2 已被使用；新记录须使用新的标识",
	    "%t1: row id %2 is already in use; a new row needs a new id" },
	[R_UNIQUE] = { "unique_clash", 1,
	    "%t1：唯一的值已被登记", "%t1: a unique value is already registered" },
	[R_UNIQUE_HERE] = { "unique_clash_here", 3,
	    "%t1：%c1 %2 已经登记（记录 %3）", "%t1: %c1 %2 is already registered (row %3)" },
	[R_UNIQUE_ELSEWHERE] = { "unique_clash_elsewhere", 2,
	    "%t1：%c1 %2 与本单位以外的记录重复；整项修改已保留，待街道处理",
	    "%t1: %c1 %2 clashes with a record outside this office; kept whole for the street to "
	    "settle" },
	[R_DELETED_ON_SERVER] = { "deleted_on_server", 2,
	    "%t1：记录 %2 已在服务器上删除", "%t1: row %2 was deleted on the server" },
	[R_IMMUTABLE] = { "immutable", 1,
	    "%t1的%c1不能修改", "%t1: %c1 cannot be changed" },
	[R_NEWER_OFFICE] = { "newer_wins_office", 3,
	    "%t1的%c1两边都有修改，采用了本单位较新的修改（服务器“%v2”，本单位“%v3”）",
	    "%t1: %c1 changed on both sides; the office's newer edit won (server %2, office %3)" },
	[R_NEWER_SERVER] = { "newer_wins_server", 3,
	    "%t1的%c1两边都有修改，保留了服务器上较新的修改（服务器“%v2”，本单位“%v3”）",
	    "%t1: %c1 changed on both sides; the server's newer edit won (server %2, office %3)" },
	[R_NEWER_SEVERAL] = { "newer_wins_several", 2,
	    "%t1的%c1等 %2 处字段两边都有修改，已按较新的修改决定",
	    "%t1: %c1 and other fields (%2 in all) changed on both sides; the newer edits won" },
	[R_SAME_FIELD] = { "same_field", 3,
	    "%t1的%c1已在服务器上改为“%v2”，本设备修改时看到的是“%v3”",
	    "%t1: %c1 was changed on the server to \"%2\" since this device saw \"%3\"" },
	[R_MOVE_OUT] = { "move_out_of_scope", 1,
	    "%t1：这项修改会把记录移出本设备所属组织",
	    "%t1: the change would move the row outside this device's organisation" },
	[R_DELETE_UPDATED] = { "delete_updated", 5,
	    "%t1：记录 %2 在删除到达之前已在服务器上修改（%c3：“%v4”，本设备看到的是“%v5”）",
	    "%t1: row %2 was changed on the server (%c3: \"%4\", this device saw \"%5\") before "
	    "this delete arrived" },
	[R_NO_SEQUENCE] = { "no_sequence", 0,
	    "事务没有序号", "transaction without a sequence" },
	[R_CHANGE_COUNT] = { "change_count", 1,
	    "一个事务须包含 1 到 %1 项修改", "a transaction must hold 1 to %1 changes" },
	[R_OPERATOR_TOO_LONG] = { "operator_too_long", 1,
	    "操作人姓名超过 %1 字节", "the operator name is longer than %1 bytes" },
	[R_UNKNOWN_OP] = { "unknown_operation", 1,
	    "未知的操作（编号 %1）", "unknown operation %1" },
	[R_QUEUE_FULL] = { "queue_full", 1,
	    "本设备已有 %1 条冲突等待街道处理；街道处理之前不再接收新的冲突",
	    "this device already has %1 open conflicts waiting for the street; nothing more is "
	    "queued until the street settles them" },
	[R_RECOVERED] = { "recovered_differs", 3,
	    "服务器恢复备份后，本设备补传的 %1 记录 %2（恢复前版本 %3）与服务器此后收到的修改不同；"
	    "两边都已保留，待街道处理",
	    "after the server was restored from a backup, this device's copy of %1 row %2 (version "
	    "%3 before the restore) differs from what the server has taken since; both are kept for "
	    "the street" },
	[R_RECOVERED_DECIDED] = { "recovered_decided", 1,
	    "服务器恢复备份后，已决定的组织关系转接 %1 只由街道管理员的设备补传；本设备的副本已保留，待街道处理",
	    "after the server was restored from a backup, a transfer decided since (%1) comes back "
	    "from a street administrator's device only; this device's copy is kept for the street" },
	[R_RECOVER_SHAPE] = { "recover_shape", 2,
	    "补传的 %1 记录（版本 %2）不是服务器恢复时丢失的，或其格式不对",
	    "a %1 row sent back at version %2 is not one the restore lost, or is malformed" },
	[R_REUSED_SEQ] = { "reused_sequence", 1,
	    "本设备的序号 %1 已被另一项修改使用（副本是否从备份恢复，或凭据在另一台电脑上使用？）；"
	    "整项修改已保留，待街道处理",
	    "sequence %1 of this device was already used by another transaction (was the replica "
	    "restored from a backup, or the credential used on a second computer?); kept whole for "
	    "the street" },
	[R_TRANSFER_NOT_REQUESTED] = { "transfer_not_requested", 0,
	    "新的转接申请状态须为“待接收”",
	    "transfer: a new transfer must have status \"requested\"" },
	[R_TRANSFER_INCOMPLETE] = { "transfer_incomplete", 0,
	    "转接须填写党员、转出组织和转入组织",
	    "transfer: member, sending and receiving organisations are required" },
	[R_TRANSFER_UNKNOWN_ORG] = { "transfer_unknown_org", 1,
	    "没有组织编码为“%1”的组织", "transfer: no organisation has the code \"%1\"" },
	[R_TRANSFER_ORG_MISMATCH] = { "transfer_org_mismatch", 0,
	    "转入组织与转入组织编码不符", "transfer: to_org_id does not match to_org_code" },
	[R_TRANSFER_MEMBER_LEFT] = { "transfer_member_left", 1,
	    "党员 %1 已不在转出组织",
	    "transfer: member %1 is no longer in the sending organisation" },
	[R_TRANSFER_ACCEPT_LEFT] = { "transfer_accept_left", 1,
	    "党员 %1 已不在转出组织，转接不能接收",
	    "transfer: member %1 is no longer in the sending organisation; it cannot be accepted" },
	[R_TRANSFER_WITHDRAW] = { "transfer_withdraw", 0,
	    "只有转出组织可以撤回转接，且只能在待接收时撤回",
	    "transfer: only the sending organisation can withdraw a transfer, and only while it "
	    "is requested" },
	[R_TRANSFER_RECEIVER_ONLY] = { "transfer_receiver_only", 0,
	    "转入组织只能接收或退回转接",
	    "transfer: the receiving organisation can only accept or reject a transfer" },
	[R_TRANSFER_DECIDER] = { "transfer_decider", 0,
	    "只有转入组织（或街道）可以填写转接的办理结果",
	    "transfer: only the receiving organisation (or the street) can record the decision "
	    "on a transfer" },
	[R_TRANSFER_STATUS_REQUIRED] = { "transfer_status_required", 0,
	    "转接须有状态", "transfer: status is required" },
	[R_TRANSFER_DECIDED] = { "transfer_decided", 0,
	    "已办理的转接不能再修改", "transfer: a decided transfer cannot change" },
	[R_TRANSFER_FINAL] = { "transfer_final", 0,
	    "已接收或已退回的转接不能再修改",
	    "transfer: a transfer that was accepted or rejected cannot change" },
	[R_TRANSFER_ACCEPTOR] = { "transfer_acceptor", 0,
	    "只有转入组织（或街道）可以接收或退回转接",
	    "transfer: only the receiving organisation (or the street) can accept or reject a "
	    "transfer" },
	[R_TRANSFER_BAD_STATUS] = { "transfer_bad_status", 0,
	    "转接状态只能改为已接收或已退回",
	    "transfer: status can only become accepted or rejected" },
	[R_NEWER_REPLACED] = { "newer_wins_replaced", 3,
	    "%t1的%c1两边都有修改：另一设备较新的修改“%v3”替换了本设备写入的“%v2”",
	    "%t1: %c1 changed on both sides; another device's newer edit (%v3) replaced the value "
	    "this device wrote (%v2)" },
	[R_BLANK] = { "blank", 1,
	    "%c1 不能只有空白字符", "%c1 is only blanks" },
	[R_NAME_CHARS] = { "name_chars", 1,
	    "%c1 只能由汉字、间隔号“·”、拉丁字母和空格组成",
	    "%c1 may hold only Chinese characters, the middle dot, Latin letters and spaces" },
	[R_ID_GENDER] = { "id_gender", 3,
	    "公民身份号码第17位表明%c1为%v2，与所填“%v3”不符 (GB 11643：奇数为男，偶数为女)",
	    "the citizen ID's 17th digit says %c1 %2, not %3 (GB 11643: odd male, even female)" },
	[R_ID_REGION] = { "id_region", 1,
	    "公民身份号码前6位 %1 不在 GB/T 2260 的行政区划中；确属例外请核实后标记“地区码已核实” (id_region_verified)",
	    "the citizen ID's first six digits %1 are no GB/T 2260 region code; mark "
	    "id_region_verified after checking a genuine exception" },
	[R_FULL_IN_PROBATION] = { "full_in_probation", 2,
	    "入党日期 %1 的党员预备期至 %2 才满，应为预备党员；已转正请填写转正日期",
	    "joined %1: probation runs until %2, so the member is probationary; give the "
	    "full-membership date if promoted" },
	[R_ORG_KIND_UNDER] = { "org_kind_under", 3,
	    "%c1“%v2”不能直接设在“%v3”之下", "%c1 %2 cannot be placed directly under %3" },
	[R_MEMBER_ORG_KIND] = { "member_org_kind", 2,
	    "党员须编入党支部或党小组，不能直接编入%c1为“%v2”的组织",
	    "a member belongs to a branch or a group, not to an organisation of %c1 %2" },
	[R_ORG_KIND_CHILD] = { "org_kind_child", 3,
	    "%c1改为“%v2”后，其下的“%v3”不再符合组织层级",
	    "with %c1 %2 the organisation's %3 below it would no longer fit the tree" },
	[R_ORG_KIND_MEMBERS] = { "org_kind_members", 2,
	    "该组织下有党员，%c1不能改为“%v2”", "members belong to it: %c1 cannot become %2" },
	[R_APPLY_BEFORE_18] = { "apply_before_18", 2,
	    "递交入党申请日期 %1 早于年满18周岁之日 %2", "applied on %1, before the 18th birthday %2" },
	[R_DATE_ORDER] = { "date_order", 4,
	    "%c1 %2 早于%c3 %4", "%c1 %2 is before %c3 %4" },
	[R_ACTIVIST_YEAR] = { "activist_year", 2,
	    "入党积极分子须经一年以上培养考察，确定为发展对象的日期 %1 应不早于 %2",
	    "an activist is trained for a year or more: candidate date %1 is before %2" },
	[R_PROBATION_EXTENSION] = { "probation_extension", 3,
	    "延长预备期至 %1 不合规定：应晚于 %2，且不晚于 %3 (延长不超过一年)",
	    "probation extended to %1: it must end after %2 and by %3 (at most one more year)" },
	[R_FULL_BEFORE_EXTENDED] = { "full_before_extended", 2,
	    "转正日期 %1 早于延长后的预备期满之日 %2",
	    "full-membership date %1 is before the extended probation ends (%2)" },
	[R_LEFT_STANDING] = { "left_standing", 4,
	    "%c1为“%v2”时，%c3应为“%v4”", "when %c1 is %2, %c3 must be %4" },
	[R_DISCIPLINE_UNTIL] = { "discipline_until", 2,
	    "留党察看期满日期 %1 不合规定：留党察看为一年或两年，不晚于 %2",
	    "probation within the Party ends %1: it lasts one or two years, until %2 at most" },
	[R_STAGE_AHEAD] = { "stage_ahead", 3,
	    "%c1为“%v2”时不应已有%c3", "with %c1 %2 there is no %c3 yet" },
	[R_BAD_MONTH] = { "bad_month", 2,
	    "%c1 “%2” 无效，应为 YYYY-MM", "%c1 %2 is not a month YYYY-MM" },
	[R_PERIOD_MISMATCH] = { "period_mismatch", 1,
	    "交费期应为 %1 (党员编号/月份)", "period must be %1 (member id/month)" },
	[R_INT_RANGE] = { "int_range", 4,
	    "%c1 %2 超出范围，应在 %3 到 %4 之间", "%c1 %2 is out of range %3..%4" },
	[R_NOT_COMMUNITY] = { "not_community", 2,
	    "报到的组织须为社区，不能是%c1为“%v2”的组织",
	    "a member reports to a community, not to an organisation of %c1 %2" },
	[R_REPORT_MISMATCH] = { "report_mismatch", 1,
	    "%c1与所属的报到登记不一致", "%c1 differs from the report it belongs to" },
	[R_KEY_MISMATCH] = { "key_mismatch", 2,
	    "%c1应为 %2", "%c1 must be %2" },
	[R_ONE_CLAIMANT] = { "one_claimant", 1,
	    "%t1须由一个支部、驻区单位或党员认领（三者选一）",
	    "%t1: exactly one of a branch, a resident unit or a member claims it" },
	[R_BAD_CREDIT_CODE] = { "bad_credit_code", 2,
	    "%c1 “%2” 无效：应为18位统一社会信用代码，末位校验码须正确",
	    "%c1 %2 is not a valid unified social credit code (18 characters, check character)" },
	[R_ONE_PERSON] = { "one_person", 1,
	    "%t1只能对应一名本社区党员或一条在职党员报到登记，不能两者都填",
	    "%t1: a member or an in-service member's report, not both" },
	[R_UNKNOWN_UNIT] = { "unknown_unit", 1,
	    "没有统一社会信用代码为 %1 的驻区单位，请先由所在社区登记该单位",
	    "no resident unit has the credit code %1; its community registers it first" },
	[R_READ_ONLY] = { "read_only", 2,
	    "%t1 %2 由其所属组织维护，本设备只能查看，不能修改或删除",
	    "%t1 %2 is kept by the organisation it belongs to: this device sees it, read only" },
	[R_KIND_FOR] = { "kind_for", 2,
	    "%t1只能属于%2", "%t1 belongs to an organisation of kind %2 only" },
	[R_UNIT_CODE_MISMATCH] = { "unit_code_mismatch", 0,
	    "共建协议的驻区单位与所填统一社会信用代码不一致",
	    "the agreement's unit and its credit code name different units" },
	[R_MEETING_KIND] = { "meeting_kind", 3,
	    "%c1须为%c2是“%v3”的会议", "%c1 must be a meeting whose %c2 is %3" },
};

static const struct reason_row *
row_of(uint32_t code)
{
	if (code >= R_COUNT || reasons[code].name == NULL)
		return NULL;
	return &reasons[code];
}

const char *
reason_name(uint32_t code)
{
	const struct reason_row *r = row_of(code);
	return r ? r->name : "unknown";
}

int
reason_nargs(uint32_t code)
{
	const struct reason_row *r = row_of(code);
	return r ? r->nargs : -1;
}

const char *
reason_template(uint32_t code, enum reason_lang lang)
{
	const struct reason_row *r = row_of(code);
	return r ? (lang == REASON_EN ? r->en : r->zh) : NULL;
}

/* A bounded output buffer that never ends inside a UTF-8 sequence. */
struct out {
	char *buf;
	size_t cap, len;
	int full;
};

/* Length of the valid UTF-8 character at p (n bytes available), or 0 if broken. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t k;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) k = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) k = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4) k = 4;
	else return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return k;
}

/*
 * Append n bytes of valid UTF-8; what does not fit is cut at a character
 * boundary, and after a cut nothing more goes in.
 */
static void
out_put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->cap == 0)
		return;
	if (o->len + n + 1 > o->cap) {
		n = o->cap - 1 - o->len;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		o->full = 1;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/*
 * Append untrusted text: at most limit bytes of it, whole characters only,
 * control characters as a space and broken sequences as '?'.
 */
static void
out_text(struct out *o, const char *s, size_t limit)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t used = 0, avail = strlen((const char *)p);

	while (*p && !o->full) {
		size_t k = utf8_len(p, avail);
		if (used + (k ? k : 1) > limit)
			break;
		if (k == 0)
			out_put(o, "?", 1);
		else if (k == 1 && (*p < 0x20 || *p == 0x7f))
			out_put(o, " ", 1);
		else
			out_put(o, (const char *)p, k);
		k = k ? k : 1;
		p += k;
		avail -= k;
		used += k;
	}
}

/* The table a "table" or "table.column" argument names, or -1. */
static int
arg_table(const char *a)
{
	char name[REASON_COL_MAX];
	const char *dot = strchr(a, '.');
	size_t n = dot ? (size_t)(dot - a) : strlen(a);

	if (n >= sizeof name)
		return -1;
	memcpy(name, a, n);
	name[n] = '\0';
	return schema_table_index(name);
}

/* The column a "table.column" argument names, or NULL. */
static const struct col_def *
arg_col(const char *a)
{
	int t = arg_table(a), c;
	const char *dot = strchr(a, '.');

	if (t < 0 || dot == NULL || (c = schema_col_index(&schema_tables[t], dot + 1)) < 0)
		return NULL;
	return &schema_tables[t].cols[c];
}

/* The generic sentence for a code this program cannot render. */
static size_t
render_generic(uint32_t code, enum reason_lang lang, char *buf, size_t cap)
{
	char tmp[160];
	struct out o = { buf, cap, 0, 0 };

	if (lang == REASON_EN)
		snprintf(tmp, sizeof tmp, "the server gave a reason this program cannot show "
		    "(code %u)", code);
	else
		snprintf(tmp, sizeof tmp, "服务器给出了本程序无法显示的原因（代码 %u），"
		    "请升级 tongxin 后查看", code);
	if (cap > 0)
		buf[0] = '\0';
	out_put(&o, tmp, strlen(tmp));
	return o.len;
}

size_t
reason_render(uint32_t code, const char *const *args, size_t nargs, enum reason_lang lang,
    char *buf, size_t cap)
{
	const struct reason_row *row = row_of(code);
	struct out o = { buf, cap, 0, 0 };
	const struct col_def *last_col = NULL;   /* the column of the latest %c */
	const char *p;

	if (cap > 0)
		buf[0] = '\0';
	if (row == NULL || (size_t)row->nargs != nargs || (nargs > 0 && args == NULL))
		return render_generic(code, lang, buf, cap);
	p = lang == REASON_EN ? row->en : row->zh;
	while (*p && !o.full) {
		const char *pct = strchr(p, '%');
		char kind = 0;
		size_t i;
		const char *a;

		if (pct == NULL) {
			out_put(&o, p, strlen(p));
			break;
		}
		out_put(&o, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '%') {
			out_put(&o, "%", 1);
			p++;
			continue;
		}
		if (*p == 't' || *p == 'c' || *p == 'v')
			kind = *p++;
		if (*p < '1' || *p > '9') {
			out_put(&o, "%", 1);   /* not a placeholder: shown as written */
			continue;
		}
		i = (size_t)(*p++ - '1');
		if (i >= nargs)
			continue;              /* never read past the arguments given */
		a = args[i] ? args[i] : "";
		if (kind == 't' && lang == REASON_ZH && arg_table(a) >= 0) {
			const char *l = schema_tables[arg_table(a)].label;
			out_put(&o, l, strlen(l));
		} else if (kind == 't') {
			const char *dot = strchr(a, '.');
			out_text(&o, a, dot ? (size_t)(dot - a) : REASON_ARG_MAX);
		} else if (kind == 'c' && arg_col(a) != NULL) {
			const char *l = lang == REASON_ZH ? arg_col(a)->label : arg_col(a)->name;
			last_col = arg_col(a);
			out_put(&o, l, strlen(l));
		} else if (kind == 'v' && lang == REASON_ZH && last_col != NULL &&
		    vocab_of_col(last_col) != NULL && vocab_label(vocab_of_col(last_col), a) != NULL) {
			const char *l = vocab_label(vocab_of_col(last_col), a);
			out_put(&o, l, strlen(l));
		} else if (kind == 'c' && strchr(a, '.') != NULL) {
			out_text(&o, strchr(a, '.') + 1, REASON_ARG_MAX);
		} else {
			out_text(&o, a, REASON_ARG_MAX);
		}
	}
	return o.len;
}

size_t
reason_show(uint32_t code, const char *const *args, size_t nargs, const char *legacy,
    char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, 0 };

	if (code != R_NONE)
		return reason_render(code, args, nargs, REASON_ZH, buf, cap);
	if (cap > 0)
		buf[0] = '\0';
	out_text(&o, legacy, REASON_TEXT_MAX - 1);
	return o.len;
}

void
reason_setv(struct reason *r, uint32_t code, const char *const *args, size_t n)
{
	memset(r, 0, sizeof *r);
	r->code = code;
	if (reason_nargs(code) != (int)n)
		log_warnx("reason: code %u (%s) set with %zu arguments, it takes %d", code,
		    reason_name(code), n, reason_nargs(code));
	if (n > REASON_MAX_ARGS)
		n = REASON_MAX_ARGS;
	for (size_t i = 0; i < n; i++) {
		struct out o = { r->args[i], sizeof r->args[i], 0, 0 };
		r->args[i][0] = '\0';
		out_text(&o, args[i], REASON_ARG_MAX);
	}
	r->nargs = n;
}

void
reason_argv(const struct reason *r, const char *argv[REASON_MAX_ARGS])
{
	for (size_t i = 0; i < REASON_MAX_ARGS; i++)
		argv[i] = r->args[i];
}

size_t
reason_text(const struct reason *r, enum reason_lang lang, char *buf, size_t cap)
{
	const char *argv[REASON_MAX_ARGS];

	reason_argv(r, argv);
	return reason_render(r->code, argv, r->nargs, lang, buf, cap);
}

const char *
reason_col(char out[REASON_COL_MAX], const char *table, const char *column)
{
	snprintf(out, REASON_COL_MAX, "%s.%s", table, column);
	return out;
}

const char *
reason_num(char out[24], long long n)
{
	snprintf(out, 24, "%lld", n);
	return out;
}

int
reason_pack(const struct reason *r, char *buf, size_t cap)
{
	size_t len = 0;

	if (cap == 0)
		return -1;
	buf[0] = '\0';
	for (size_t i = 0; i < r->nargs && i < REASON_MAX_ARGS; i++) {
		size_t n = strlen(r->args[i]);
		if (len + n + 2 > cap)
			return -1;
		if (i > 0)
			buf[len++] = '\x1f';
		memcpy(buf + len, r->args[i], n);
		len += n;
		buf[len] = '\0';
	}
	return 0;
}

void
reason_unpack(uint32_t code, const char *packed, struct reason *r)
{
	const char *argv[REASON_MAX_ARGS];
	char tmp[REASON_MAX_ARGS * (REASON_ARG_MAX + 1) + 1];
	size_t n = 0;
	char *p = tmp;

	snprintf(tmp, sizeof tmp, "%s", packed ? packed : "");
	/* No argument and one empty argument look the same: the code's count decides. */
	if (tmp[0] != '\0' || reason_nargs(code) > 0) {
		for (;;) {
			char *sep = strchr(p, '\x1f');
			if (n == REASON_MAX_ARGS)
				break;
			argv[n++] = p;
			if (sep == NULL)
				break;
			*sep = '\0';
			p = sep + 1;
		}
	}
	memset(r, 0, sizeof *r);
	r->code = code;
	for (size_t i = 0; i < n; i++) {
		struct out o = { r->args[i], sizeof r->args[i], 0, 0 };
		out_text(&o, argv[i], REASON_ARG_MAX);
	}
	r->nargs = n;
}
