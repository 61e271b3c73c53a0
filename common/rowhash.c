/* rowhash.c - see rowhash.h. */
#include "rowhash.h"

#include <stdio.h>

#include <openssl/evp.h>

#include "schema.h"

int
table_hash(sqlite3 *db, int t, const char *where, const char *p1, const char *p2, char out[65])
{
	const struct table_def *td = &schema_tables[t];
	char sql[4096];
	size_t n;
	sqlite3_stmt *st;
	EVP_MD_CTX *md;
	unsigned char h[32];
	unsigned int hl = 0;
	int rc;

	n = (size_t)snprintf(sql, sizeof sql, "SELECT id");
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[c].name);
	snprintf(sql + n, sizeof sql - n, " FROM %s%s%s ORDER BY id", td->name,
	    where ? " WHERE " : "", where ? where : "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (p1)
		sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
	if (p2)
		sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
	if ((md = EVP_MD_CTX_new()) == NULL) {
		sqlite3_finalize(st);
		return -1;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c <= td->ncols; c++) {
			/* Type tag, length and bytes: "1" and 1 and NULL all differ. */
			int type = sqlite3_column_type(st, c);
			const unsigned char *txt = sqlite3_column_text(st, c);
			int len = sqlite3_column_bytes(st, c);
			unsigned char tag = (unsigned char)type;
			EVP_DigestUpdate(md, &tag, 1);
			EVP_DigestUpdate(md, &len, sizeof len);
			if (txt)
				EVP_DigestUpdate(md, txt, (size_t)len);
		}
	}
	sqlite3_finalize(st);
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	return rc == SQLITE_DONE ? 0 : -1;
}
