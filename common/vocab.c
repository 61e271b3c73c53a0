/* vocab.c - the one vocabulary; see vocab.h. */
#include "vocab.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

/* The aliases of one entry: a NULL-terminated array of static storage. */
#define AL(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOAL NULL

/*
 * Each vocabulary is one X-macro list of (code, label, aliases), expanded
 * once into its entries and once into the values its columns store, so
 * the two can never disagree.
 */
#define V_GENDER(X) \
	X("male",   "男", AL("男性", "m")) \
	X("female", "女", AL("女性", "f"))

/* GB 3304-1991: the number, the name, the short name and romanisations. */
#define V_ETHNICITY(X) \
	X("01", "汉族", AL("汉", "han")) \
	X("02", "蒙古族", AL("蒙古", "mongol", "menggu")) \
	X("03", "回族", AL("回", "hui")) \
	X("04", "藏族", AL("藏", "zang", "tibetan")) \
	X("05", "维吾尔族", AL("维吾尔", "uygur", "uyghur", "weiwuer")) \
	X("06", "苗族", AL("苗", "miao")) \
	X("07", "彝族", AL("彝", "yi")) \
	X("08", "壮族", AL("壮", "zhuang")) \
	X("09", "布依族", AL("布依", "buyei", "buyi")) \
	X("10", "朝鲜族", AL("朝鲜", "chosen", "korean", "chaoxian")) \
	X("11", "满族", AL("满", "man", "manchu")) \
	X("12", "侗族", AL("侗", "dong")) \
	X("13", "瑶族", AL("瑶", "yao")) \
	X("14", "白族", AL("白", "bai")) \
	X("15", "土家族", AL("土家", "tujia")) \
	X("16", "哈尼族", AL("哈尼", "hani")) \
	X("17", "哈萨克族", AL("哈萨克", "kazak", "kazakh", "hasake")) \
	X("18", "傣族", AL("傣", "dai")) \
	X("19", "黎族", AL("黎", "li")) \
	X("20", "傈僳族", AL("傈僳", "lisu")) \
	X("21", "佤族", AL("佤", "va", "wa")) \
	X("22", "畲族", AL("畲", "she")) \
	X("23", "高山族", AL("高山", "gaoshan")) \
	X("24", "拉祜族", AL("拉祜", "lahu")) \
	X("25", "水族", AL("水", "sui", "shui")) \
	X("26", "东乡族", AL("东乡", "dongxiang")) \
	X("27", "纳西族", AL("纳西", "naxi")) \
	X("28", "景颇族", AL("景颇", "jingpo")) \
	X("29", "柯尔克孜族", AL("柯尔克孜", "kirgiz", "kyrgyz", "keerkezi")) \
	X("30", "土族", AL("土", "tu", "monguor")) \
	X("31", "达斡尔族", AL("达斡尔", "daur", "dawoer")) \
	X("32", "仫佬族", AL("仫佬", "mulao", "mulam")) \
	X("33", "羌族", AL("羌", "qiang")) \
	X("34", "布朗族", AL("布朗", "blang", "bulang")) \
	X("35", "撒拉族", AL("撒拉", "salar", "sala")) \
	X("36", "毛南族", AL("毛南", "maonan")) \
	X("37", "仡佬族", AL("仡佬", "gelao")) \
	X("38", "锡伯族", AL("锡伯", "xibe", "xibo")) \
	X("39", "阿昌族", AL("阿昌", "achang")) \
	X("40", "普米族", AL("普米", "pumi")) \
	X("41", "塔吉克族", AL("塔吉克", "tajik", "tajike")) \
	X("42", "怒族", AL("怒", "nu")) \
	X("43", "乌孜别克族", AL("乌孜别克", "uzbek", "wuzibieke")) \
	X("44", "俄罗斯族", AL("俄罗斯", "russ", "russian", "eluosi")) \
	X("45", "鄂温克族", AL("鄂温克", "ewenki", "evenk", "ewenke")) \
	X("46", "德昂族", AL("德昂", "deang", "de'ang")) \
	X("47", "保安族", AL("保安", "bonan", "baoan")) \
	X("48", "裕固族", AL("裕固", "yugur", "yugu")) \
	X("49", "京族", AL("京", "gin", "jing")) \
	X("50", "塔塔尔族", AL("塔塔尔", "tatar", "tataer")) \
	X("51", "独龙族", AL("独龙", "derung", "dulong")) \
	X("52", "鄂伦春族", AL("鄂伦春", "oroqen", "elunchun")) \
	X("53", "赫哲族", AL("赫哲", "hezhen", "hezhe")) \
	X("54", "门巴族", AL("门巴", "monba", "menba")) \
	X("55", "珞巴族", AL("珞巴", "lhoba", "luoba")) \
	X("56", "基诺族", AL("基诺", "jino", "jinuo")) \
	X("97", "其他", AL("未识别民族", "穿青人", "other")) \
	X("98", "外国血统中国籍人士", AL("外国血统", "foreign"))

#define V_EDUCATION(X) \
	X("primary",     "小学", AL("小学及以下")) \
	X("junior_high", "初中", AL("初级中学")) \
	X("senior_high", "高中", AL("高级中学", "普通高中")) \
	X("vocational",  "中专", AL("中等专科", "中技", "技校", "职高", "中职")) \
	X("associate",   "大学专科", AL("大专", "专科", "高职")) \
	X("bachelor",    "大学本科", AL("本科", "大学")) \
	X("master",      "硕士研究生", AL("硕士", "研究生")) \
	X("doctorate",   "博士研究生", AL("博士"))

#define V_CATEGORY(X) \
	X("full",         "正式党员", AL("正式")) \
	X("probationary", "预备党员", AL("预备"))

#define V_STANDING(X) \
	X("normal",    "正常", NOAL) \
	X("suspended", "停止党籍", AL("停止")) \
	X("expelled",  "开除党籍", AL("开除")) \
	X("deceased",  "死亡", AL("已故", "去世"))

#define V_ORG_KIND(X) \
	X("district",       "区委", AL("区", "区党委")) \
	X("street",         "街道党工委", AL("街道")) \
	X("community",      "社区党委", AL("社区", "大党委")) \
	X("general_branch", "党总支", AL("总支", "社区党总支")) \
	X("branch",         "党支部", AL("支部")) \
	X("group",          "党小组", AL("小组"))

#define V_BRANCH_TYPE(X) \
	X("residential",   "居民", AL("居民党支部")) \
	X("retired",       "离退休", AL("离退休党支部")) \
	X("grid",          "网格", AL("网格党支部")) \
	X("enterprise",    "非公企业", AL("非公企业党支部")) \
	X("social_org",    "社会组织", AL("社会组织党支部")) \
	X("temporary",     "临时", AL("临时党支部")) \
	X("network",       "网络", AL("网络党支部")) \
	X("resident_unit", "驻区单位", AL("驻区单位党支部"))

#define V_MEETING_KIND(X) \
	X("committee_meeting", "支委会", AL("支部委员会")) \
	X("general_meeting",   "党员大会", AL("支部党员大会")) \
	X("group_meeting",     "党小组会", NOAL) \
	X("party_lecture",     "党课", NOAL) \
	X("theme_day",         "主题党日", NOAL) \
	X("life_meeting",      "组织生活会", NOAL) \
	X("democratic_review", "民主评议", AL("民主评议党员"))

#define V_ATTENDANCE(X) \
	X("present", "出席", AL("到会", "参加")) \
	X("excused", "请假", NOAL) \
	X("absent",  "缺席", NOAL)

#define V_ITEM_KIND(X) \
	X("responsibility", "责任", AL("责任清单")) \
	X("problem",        "问题", AL("问题清单")) \
	X("learning",       "学习", AL("学习清单")) \
	X("resource",       "资源", AL("资源清单")) \
	X("activity",       "活动", AL("活动清单")) \
	X("need",           "需求", AL("需求清单")) \
	X("project",        "项目", AL("项目清单"))

#define V_ITEM_STATUS(X) \
	X("open",      "待办", AL("待整改", "未办")) \
	X("claimed",   "已认领", AL("认领")) \
	X("rectified", "已整改", AL("已整改待销号", "整改")) \
	X("closed",    "已销号", AL("销号"))

#define V_TRANSFER_STATUS(X) \
	X("requested", "待接收", AL("待办", "申请")) \
	X("accepted",  "已接收", AL("接收")) \
	X("rejected",  "已退回", AL("退回"))

/* 发展党员: the steps before membership; admitted ends the pipeline with a member row. */
#define V_DEV_STAGE(X) \
	X("applicant", "入党申请人", AL("申请人")) \
	X("activist",  "入党积极分子", AL("积极分子")) \
	X("candidate", "发展对象", NOAL) \
	X("admitted",  "已接收预备党员", AL("接收", "预备党员")) \
	X("stopped",   "停止培养", AL("终止"))

/* 党员减少: how a member left the Party's books; the record stays in history. */
#define V_LEAVE_REASON(X) \
	X("death",      "死亡", AL("去世", "已故")) \
	X("withdrawal", "退党", AL("自行退党")) \
	X("removal",    "除名", NOAL) \
	X("expulsion",  "开除党籍", AL("开除"))

/* 党纪处分 (the five sanctions of the 纪律处分条例). */
#define V_DISCIPLINE_KIND(X) \
	X("warning",           "警告", NOAL) \
	X("serious_warning",   "严重警告", NOAL) \
	X("removal_from_post", "撤销党内职务", AL("撤职")) \
	X("probation",         "留党察看", AL("察看")) \
	X("expulsion",         "开除党籍", AL("开除"))

/*
 * 党费收缴 (中组部 2008): salaried members pay a share of their income after
 * tax, retirees of their pension; farmers 0.2 to 1 元 a month; students, the
 * unemployed and those living on relief or the minimum allowance 0.2 元.
 */
#define V_DUES_CLASS(X) \
	X("salaried",   "在岗职工", AL("在职", "职工")) \
	X("retired",    "离退休", AL("退休")) \
	X("farmer",     "农民", NOAL) \
	X("student",    "学生", NOAL) \
	X("unemployed", "下岗失业", AL("失业", "无固定收入")) \
	X("relief",     "低保或救济", AL("低保", "救济", "抚恤"))

/* Seats on a committee (支部委员会 and 社区党委). */
#define V_COMMITTEE_ROLE(X) \
	X("secretary",    "书记", NOAL) \
	X("deputy",       "副书记", NOAL) \
	X("organisation", "组织委员", AL("组织")) \
	X("publicity",    "宣传委员", AL("宣传")) \
	X("discipline",   "纪检委员", AL("纪检")) \
	X("youth",        "青年委员", AL("青年")) \
	X("women",        "妇女委员", AL("妇女")) \
	X("member",       "委员", NOAL) \
	X("part_time",    "兼职委员", AL("兼职"))

/* 驻区单位: the kinds of resident unit a community 大党委 draws on. */
#define V_UNIT_KIND(X) \
	X("organ",              "机关", AL("党政机关")) \
	X("public_institution", "事业单位", AL("事业")) \
	X("state_enterprise",   "国有企业", AL("国企")) \
	X("enterprise",         "非公企业", AL("企业", "民营企业")) \
	X("school",             "学校", AL("院校")) \
	X("hospital",           "医疗卫生机构", AL("医院", "卫生")) \
	X("social_org",         "社会组织", NOAL) \
	X("other",              "其他", NOAL)

/* A claim (双向认领) on a list item, from taking it on to done or withdrawn. */
#define V_CLAIM_STATE(X) \
	X("claimed",     "已认领", AL("认领")) \
	X("in_progress", "办理中", AL("办理")) \
	X("done",        "已完成", AL("完成")) \
	X("withdrawn",   "已撤回", AL("撤回"))

/* 微心愿: posted, claimed by someone, fulfilled, or cancelled. */
#define V_WISH_STATUS(X) \
	X("open",      "待认领", AL("未认领")) \
	X("claimed",   "已认领", AL("认领")) \
	X("fulfilled", "已实现", AL("实现", "已完成")) \
	X("cancelled", "已撤销", AL("撤销"))

/* 民情回音壁: where an opinion came from, what it is about, how far it got. */
#define V_FEEDBACK_SOURCE(X) \
	X("visit",   "入户走访", AL("走访")) \
	X("hotline", "热线电话", AL("热线", "12345")) \
	X("wall",    "回音壁", AL("意见箱")) \
	X("meeting", "议事会", AL("居民议事会", "会议")) \
	X("online",  "网络平台", AL("网络", "微信")) \
	X("other",   "其他", NOAL)

#define V_FEEDBACK_CATEGORY(X) \
	X("environment", "环境卫生", AL("环境", "卫生")) \
	X("property",    "物业管理", AL("物业")) \
	X("safety",      "安全隐患", AL("安全")) \
	X("elderly",     "养老助老", AL("养老")) \
	X("traffic",     "交通停车", AL("停车", "交通")) \
	X("facilities",  "公共设施", AL("设施")) \
	X("dispute",     "矛盾纠纷", AL("纠纷")) \
	X("services",    "便民服务", AL("服务")) \
	X("other",       "其他", NOAL)

#define V_FEEDBACK_STATUS(X) \
	X("open",     "待办理", AL("待办")) \
	X("handling", "办理中", AL("办理")) \
	X("replied",  "已回音", AL("回音", "已答复")) \
	X("closed",   "已办结", AL("办结"))

/* Who a 100-point assessment indicator scores. */
#define V_ASSESS_TARGET(X) \
	X("community", "社区党组织", AL("社区")) \
	X("branch",    "党支部", AL("支部"))

/* The verdicts the server gives a change it does not simply apply. */
#define V_CONFLICT_KIND(X) \
	X("same_field",     "同一字段", NOAL) \
	X("update_deleted", "改已删", NOAL) \
	X("delete_updated", "删已改", NOAL) \
	X("unique",         "重复登记", NOAL) \
	X("missing_parent", "上级已撤销", NOAL) \
	X("newer_wins",     "新值优先", NOAL) \
	X("transferred",    "已转出", NOAL) \
	X("reused_seq",     "序号重用", NOAL) \
	X("recovered",      "恢复补传", NOAL) \
	X("queue_full",     "冲突过多", NOAL) \
	X("scope",          "超出范围", NOAL) \
	X("invalid",        "数据无效", NOAL) \
	X("unknown_ref",    "引用不存在", NOAL)

#define V_DECISION(X) \
	X("keep_server", "保留街道值", AL("keep", "保留")) \
	X("take_office", "采用社区值", AL("take", "采用")) \
	X("set",         "录入合并值", AL("合并"))

#define V_CONFLICT_STATUS(X) \
	X("open",     "待处理", NOAL) \
	X("resolved", "已处理", NOAL) \
	X("auto",     "自动处理", NOAL) \
	X("rejected", "已退回", NOAL)

#define V_OUTCOME(X) \
	X("applied",  "已应用", NOAL) \
	X("merged",   "合并", NOAL) \
	X("conflict", "冲突", NOAL) \
	X("rejected", "退回", NOAL)

#define V_ROLE(X) \
	X("office", "社区", NOAL) \
	X("admin",  "管理员", AL("administrator"))

#define V_BOOL(X) \
	X("1", "是", AL("yes", "y", "true", "√", "✓")) \
	X("0", "否", AL("no", "n", "false", "×"))

#define ENTRY(c, l, a) { c, l, a },
#define CODE(c, l, a) c,
#define LABEL(c, l, a) l,

#define DEFINE(id, LIST, VALS)						\
	static const struct vocab_entry id##_entries[] = { LIST(ENTRY) };	\
	const char *const vocab_vals_##id[] = { LIST(VALS) NULL };

DEFINE(gender, V_GENDER, CODE)
DEFINE(ethnicity, V_ETHNICITY, LABEL)
DEFINE(education, V_EDUCATION, CODE)
DEFINE(category, V_CATEGORY, CODE)
DEFINE(standing, V_STANDING, CODE)
DEFINE(org_kind, V_ORG_KIND, CODE)
DEFINE(branch_type, V_BRANCH_TYPE, CODE)
DEFINE(meeting_kind, V_MEETING_KIND, CODE)
DEFINE(attendance, V_ATTENDANCE, CODE)
DEFINE(item_kind, V_ITEM_KIND, CODE)
DEFINE(item_status, V_ITEM_STATUS, CODE)
DEFINE(transfer_status, V_TRANSFER_STATUS, CODE)
DEFINE(dev_stage, V_DEV_STAGE, CODE)
DEFINE(leave_reason, V_LEAVE_REASON, CODE)
DEFINE(discipline_kind, V_DISCIPLINE_KIND, CODE)
DEFINE(dues_class, V_DUES_CLASS, CODE)
DEFINE(committee_role, V_COMMITTEE_ROLE, CODE)
DEFINE(unit_kind, V_UNIT_KIND, CODE)
DEFINE(claim_state, V_CLAIM_STATE, CODE)
DEFINE(wish_status, V_WISH_STATUS, CODE)
DEFINE(feedback_source, V_FEEDBACK_SOURCE, CODE)
DEFINE(feedback_category, V_FEEDBACK_CATEGORY, CODE)
DEFINE(feedback_status, V_FEEDBACK_STATUS, CODE)
DEFINE(assess_target, V_ASSESS_TARGET, CODE)
DEFINE(conflict_kind, V_CONFLICT_KIND, CODE)
DEFINE(decision, V_DECISION, CODE)
DEFINE(conflict_status, V_CONFLICT_STATUS, CODE)
DEFINE(outcome, V_OUTCOME, CODE)
DEFINE(role, V_ROLE, CODE)
DEFINE(yesno, V_BOOL, CODE)

#define N(id) (sizeof id##_entries / sizeof id##_entries[0])
#define VOCAB2(name, id, lab) { name, id##_entries, N(id), vocab_vals_##id, lab }
#define VOCAB(id, lab) VOCAB2(#id, id, lab)

static const struct vocab vocabs[] = {
	VOCAB(gender, false),
	VOCAB(ethnicity, true),
	VOCAB(education, false),
	VOCAB(category, false),
	VOCAB(standing, false),
	VOCAB(org_kind, false),
	VOCAB(branch_type, false),
	VOCAB(meeting_kind, false),
	VOCAB(attendance, false),
	VOCAB(item_kind, false),
	VOCAB(item_status, false),
	VOCAB(transfer_status, false),
	VOCAB(dev_stage, false),
	VOCAB(leave_reason, false),
	VOCAB(discipline_kind, false),
	VOCAB(dues_class, false),
	VOCAB(committee_role, false),
	VOCAB(unit_kind, false),
	VOCAB(claim_state, false),
	VOCAB(wish_status, false),
	VOCAB(feedback_source, false),
	VOCAB(feedback_category, false),
	VOCAB(feedback_status, false),
	VOCAB(assess_target, false),
	VOCAB(conflict_kind, false),
	VOCAB(decision, false),
	VOCAB(conflict_status, false),
	VOCAB(outcome, false),
	VOCAB(role, false),
	VOCAB2("bool", yesno, false),
};
#define NVOCABS (sizeof vocabs / sizeof vocabs[0])

const struct vocab *
vocab_get(const char *name)
{
	for (size_t i = 0; name != NULL && i < NVOCABS; i++)
		if (strcmp(vocabs[i].name, name) == 0)
			return &vocabs[i];
	return NULL;
}

size_t
vocab_count(void)
{
	return NVOCABS;
}

const struct vocab *
vocab_at(size_t i)
{
	return i < NVOCABS ? &vocabs[i] : NULL;
}

const char *
vocab_label(const struct vocab *v, const char *code)
{
	for (size_t i = 0; v != NULL && code != NULL && i < v->n; i++)
		if (strcmp(v->entries[i].code, code) == 0)
			return v->entries[i].label;
	return NULL;
}

const char *
vocab_show(const struct vocab *v, const char *code)
{
	const char *l = vocab_label(v, code);
	return l ? l : code ? code : "";
}

/* Whether s is plain ASCII (then it matches without regard to case). */
static bool
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static bool
same(const char *want, const char *s, size_t len)
{
	if (strlen(want) != len)
		return false;
	return is_ascii(want) ? strncasecmp(want, s, len) == 0 : memcmp(want, s, len) == 0;
}

const struct vocab_entry *
vocab_find(const struct vocab *v, const char *text)
{
	const char *s = text, *e;

	if (v == NULL || text == NULL)
		return NULL;
	/* Trim ASCII blanks and the ideographic space U+3000 (E3 80 80). */
	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			break;
	}
	e = s + strlen(s);
	for (;;) {
		if (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
			e--;
		else if (e - s >= 3 && memcmp(e - 3, "\xe3\x80\x80", 3) == 0)
			e -= 3;
		else
			break;
	}
	if (e == s)
		return NULL;
	for (size_t i = 0; i < v->n; i++) {
		const struct vocab_entry *en = &v->entries[i];
		if (same(en->code, s, (size_t)(e - s)) || same(en->label, s, (size_t)(e - s)))
			return en;
		for (const char *const *a = en->aliases; a != NULL && *a != NULL; a++)
			if (same(*a, s, (size_t)(e - s)))
				return en;
	}
	return NULL;
}

const char *
vocab_parse(const struct vocab *v, const char *text)
{
	const struct vocab_entry *en = vocab_find(v, text);
	return en ? en->code : NULL;
}

const struct vocab *
vocab_of_col(const struct col_def *c)
{
	if (c == NULL)
		return NULL;
	if (c->type == COL_BOOL)
		return vocab_get("bool");
	if (c->enum_vals == NULL)
		return NULL;
	for (size_t i = 0; i < NVOCABS; i++)
		if (vocabs[i].stored == c->enum_vals)
			return &vocabs[i];
	return NULL;
}

const char *
vocab_col_store(const struct col_def *c, const char *text)
{
	const struct vocab *v = vocab_of_col(c);
	const struct vocab_entry *en = vocab_find(v, text);

	if (en == NULL)
		return NULL;
	return v->store_label ? en->label : en->code;
}

const struct vocab_entry *
vocab_col_entry(const struct col_def *c, const char *stored)
{
	const struct vocab *v = vocab_of_col(c);

	for (size_t i = 0; v != NULL && stored != NULL && i < v->n; i++)
		if (strcmp(v->store_label ? v->entries[i].label : v->entries[i].code, stored) == 0)
			return &v->entries[i];
	return NULL;
}

const char *
vocab_col_label(const struct col_def *c, const char *stored)
{
	const struct vocab_entry *en = vocab_col_entry(c, stored);
	return en ? en->label : stored ? stored : "";
}

size_t
vocab_list(const struct vocab *v, int with_codes, const char *sep, char *buf, size_t cap)
{
	size_t n = 0;

	if (cap > 0)
		buf[0] = '\0';
	for (size_t i = 0; v != NULL && i < v->n; i++) {
		int w;
		if (with_codes && strcmp(v->entries[i].code, v->entries[i].label) != 0)
			w = snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, "%s%s %s",
			    i ? sep : "", v->entries[i].label, v->entries[i].code);
		else
			w = snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, "%s%s",
			    i ? sep : "", v->entries[i].label);
		if (w > 0)
			n += (size_t)w;
	}
	return n;
}

static void
sql_vocab_label(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	const char *code = (const char *)sqlite3_value_text(argv[1]);
	const char *l;

	(void)argc;
	if (code == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	l = vocab_label(vocab_get(name), code);
	sqlite3_result_text(ctx, l ? l : code, -1, l ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

int
vocab_sql_register(struct sqlite3 *db)
{
	return sqlite3_create_function(db, "vocab_label", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	    NULL, sql_vocab_label, NULL, NULL);
}
