//! `Sensitive` values, and keys rendered from them, never appear in an
//! error's `Display` or `Debug`, nor in `explain()`: every failure a user
//! can provoke on such a model is checked for the secret text.

use dynamite::prelude::*;
use dynamite::{AttributeValue, Sensitive};

const EMAIL: &str = "ada.secret@example.com";
const TOKEN: &str = "tok-9f8e7d-secret";
const PIN: u32 = 48_151_623;

/// A shared-table model keyed by a sensitive field, with a sensitive GSI
/// template and a sensitive number.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "secret_shop", pk = "ACCOUNT#{email}", sk = "PROFILE")]
#[dynamite(index(name = "gsi1", pk = "TOKEN#{token}", sk = "ACCOUNT"))]
pub struct SecretAccount {
    pub email: Sensitive<String>,
    pub token: Sensitive<String>,
    pub name: String,
    pub pin: Sensitive<u32>,
    #[dynamite(version)]
    pub version: u64,
}

/// A model of its own table whose partition key is sensitive.
#[derive(Table, Debug, Clone)]
#[dynamite(table = "secret_tokens")]
pub struct SecretToken {
    #[dynamite(primary_key)]
    pub token: Sensitive<String>,
    pub owner: String,
}

fn secret(s: &str) -> Sensitive<String> {
    Sensitive::new(s.to_owned())
}

/// Neither form of the error shows a secret.
#[track_caller]
fn assert_masked(error: &dynamite::Error) {
    let shown = format!("{error} | {error:?}");
    for s in [EMAIL, TOKEN, &PIN.to_string(), "ada.secret", "9f8e7d"] {
        assert!(!shown.contains(s), "{s} shown in: {shown}");
    }
}

async fn account(db: &Dynamite) -> SecretAccount {
    SecretAccount::create()
        .email(secret(EMAIL))
        .token(secret(TOKEN))
        .name("Ada")
        .pin(Sensitive::new(PIN))
        .exec(db)
        .await
        .unwrap()
}

#[dynamite::test(models(SecretAccount, SecretToken))]
async fn write_errors_mask_sensitive_keys(db: Dynamite) {
    let ada = account(&db).await;

    // AlreadyExists: the same key again.
    let again = SecretAccount::create()
        .email(secret(EMAIL))
        .token(secret(TOKEN))
        .name("Ada")
        .pin(Sensitive::new(PIN))
        .exec(&db)
        .await
        .unwrap_err();
    assert!(again.is_already_exists(), "{again}");
    assert_masked(&again);

    // Conflict: a stale copy.
    let mut fresh = ada.clone();
    fresh.name = "Ada L.".to_owned();
    fresh.save(&db).await.unwrap();
    let mut stale = ada.clone();
    stale.name = "Stale".to_owned();
    let conflict = stale.save(&db).await.unwrap_err();
    assert!(conflict.is_conflict(), "{conflict}");
    assert_masked(&conflict);

    // NotFound: a row that is gone.
    SecretAccount::delete_key(&db, secret(EMAIL)).await.unwrap();
    let missing = fresh.save(&db).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert_masked(&missing);
    let missing = SecretAccount::update_key(secret(EMAIL))
        .set(SecretAccount::NAME, "x")
        .exec(&db)
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert_masked(&missing);

    // A transaction naming one key twice.
    let mut tx = db.transaction();
    tx.delete_key::<SecretToken>(secret(TOKEN));
    tx.delete_key::<SecretToken>(secret(TOKEN));
    let twice = tx.commit().await.unwrap_err();
    assert_masked(&twice);
}

#[dynamite::test(models(SecretAccount, SecretToken))]
async fn bulk_errors_mask_sensitive_keys_in_debug(db: Dynamite) {
    SecretToken::create()
        .token(secret(TOKEN))
        .owner("o")
        .exec(&db)
        .await
        .unwrap();
    let row = SecretToken {
        token: secret(TOKEN),
        owner: "o".to_owned(),
    };
    let error = SecretToken::create_many(&db, vec![row]).await.unwrap_err();
    let dynamite::Error::Batch { existing, .. } = &error else {
        panic!("expected Batch, got {error}");
    };
    assert_eq!(existing.len(), 1, "{error:?}");
    // The keys themselves are there for a retry; only their text is masked.
    let stored = existing[0].get("token");
    assert_eq!(stored, Some(&AttributeValue::S(TOKEN.to_owned())));
    assert_masked(&error);
    assert!(format!("{error:?}").contains("***"), "{error:?}");
}

#[dynamite::test(models(SecretAccount, SecretToken))]
async fn a_separator_in_a_sensitive_template_field_is_refused_without_quoting_it(db: Dynamite) {
    let error = SecretAccount::create()
        .email(secret("ada#secret@example.com"))
        .token(secret(TOKEN))
        .name("Ada")
        .pin(Sensitive::new(PIN))
        .exec(&db)
        .await
        .unwrap_err();
    let shown = format!("{error} | {error:?}");
    assert!(!shown.contains("ada#secret"), "{shown}");
}

#[dynamite::test(models(SecretAccount, SecretToken))]
async fn decode_errors_mask_sensitive_values(db: Dynamite) {
    let table = db.table_name::<SecretToken>().unwrap();
    // Another program stored a number where the model has a string, and a
    // string too long for the sensitive... owner is fine; token is the key.
    db.client()
        .put_item()
        .table_name(&table)
        .item("token", AttributeValue::S(TOKEN.to_owned()))
        .item("owner", AttributeValue::N("12".to_owned()))
        .send()
        .await
        .unwrap();
    let error = SecretToken::get(&db, secret(TOKEN)).await.unwrap_err();
    assert!(error.is_decode(), "{error}");
    assert_masked(&error);

    let accounts = db.table_name::<SecretAccount>().unwrap();
    let key = format!("ACCOUNT#{EMAIL}");
    db.client()
        .put_item()
        .table_name(&accounts)
        .item("pk", AttributeValue::S(key))
        .item("sk", AttributeValue::S("PROFILE".to_owned()))
        .item("entity", AttributeValue::S("SecretAccount".to_owned()))
        .item("email", AttributeValue::S(EMAIL.to_owned()))
        .item("token", AttributeValue::S(TOKEN.to_owned()))
        .item("name", AttributeValue::S("Ada".to_owned()))
        // Too large for a u32: the number itself is the secret.
        .item("pin", AttributeValue::N(format!("{PIN}{PIN}")))
        .item("version", AttributeValue::N("1".to_owned()))
        .send()
        .await
        .unwrap();
    let error = SecretAccount::get(&db, secret(EMAIL)).await.unwrap_err();
    assert!(error.is_decode(), "{error}");
    assert_masked(&error);
}

#[dynamite::test(models(SecretAccount, SecretToken))]
async fn explain_masks_sensitive_values_and_rendered_keys(db: Dynamite) {
    let plans = [
        SecretAccount::query()
            .filter(SecretAccount::EMAIL.eq(secret(EMAIL)))
            .explain(&db)
            .to_string(),
        SecretAccount::query()
            .filter(SecretAccount::TOKEN.eq(secret(TOKEN)))
            .explain(&db)
            .to_string(),
        SecretAccount::query()
            .filter(SecretAccount::PIN.eq(Sensitive::new(PIN)))
            .explain(&db)
            .to_string(),
        SecretToken::query()
            .filter(SecretToken::TOKEN.eq(secret(TOKEN)))
            .explain(&db)
            .to_string(),
        SecretToken::query()
            .filter(SecretToken::TOKEN.is_in([secret(TOKEN), secret("tok-2-9f8e7d")]))
            .explain(&db)
            .to_string(),
    ];
    for plan in plans {
        for s in [EMAIL, TOKEN, &PIN.to_string(), "9f8e7d"] {
            assert!(!plan.contains(s), "{s} shown in: {plan}");
        }
        assert!(plan.contains("***"), "{plan}");
    }
    // A plain value is still shown.
    let plain = SecretAccount::query()
        .filter(SecretAccount::NAME.eq("Ada"))
        .explain(&db)
        .to_string();
    assert!(plain.contains("\"Ada\""), "{plain}");
}

#[dynamite::test(models(SecretAccount, SecretToken))]
async fn reads_and_cursors_still_work_on_sensitive_keys(db: Dynamite) {
    // Masking is for text only: the requests carry the real values.
    account(&db).await;
    let got = SecretAccount::get(&db, secret(EMAIL))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.name, "Ada");
    let by_token = SecretAccount::query()
        .filter(SecretAccount::TOKEN.eq(secret(TOKEN)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(by_token.len(), 1);
}
