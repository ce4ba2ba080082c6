//! How domain values are stored, for the `sqlx` feature (on only in `store`): ids are their
//! UUID, and a text enum is its word, read back through its own parser. A word that does not
//! parse is a decode error naming the column and the word (sqlx's `ColumnDecode`), never a
//! silent default: a priority that does not parse used to become Medium.

use sqlx::database::Database;
use sqlx::decode::Decode;
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::types::Type;

/// Stores an id newtype as its UUID, in every database that stores UUIDs.
macro_rules! stored_as_uuid {
    ($name:ty) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            uuid::Uuid: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <uuid::Uuid as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <uuid::Uuid as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            uuid::Uuid: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <uuid::Uuid as sqlx::Encode<'q, DB>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            uuid::Uuid: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                <uuid::Uuid as sqlx::Decode<'r, DB>>::decode(value).map(Self)
            }
        }
    };
}
pub(crate) use stored_as_uuid;

/// Implements `Type`, `Encode` and `Decode` for every database that stores text, through the
/// value's word (`as_str`, or the method named after `shown by`) and a parser that returns
/// `Result<Self, impl Error>`.
macro_rules! stored_as_text {
    ($($name:ty as $what:literal => $parse:expr),+ $(,)?) => {
        stored_as_text!($($name as $what => $parse, shown by as_str),+);
    };
    ($($name:ty as $what:literal => $parse:expr, shown by $show:ident),+ $(,)?) => {$(
        impl<DB: Database> Type<DB> for $name
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                <&'q str as Encode<'q, DB>>::encode(self.$show(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let word = <&'r str as Decode<'r, DB>>::decode(value)?;
                let parse: fn(&str) -> Result<$name, _> = $parse;
                parse(word).map_err(|_| format!("{word:?} is not {}", $what).into())
            }
        }
    )+};
}

stored_as_text!(
    crate::tasks::Priority as "a priority" => str::parse,
    crate::projects::ProjectStatus as "a project status" => str::parse,
    crate::users::Role as "a role" => str::parse,
    crate::reviews::ReviewState as "a review state" => str::parse,
    crate::invoices::InvoiceStatus as "an invoice status" => crate::invoices::InvoiceStatus::parse,
    crate::payments::Gateway as "a payment gateway" => crate::payments::Gateway::parse,
    crate::payments::AttemptStatus as "a payment attempt's status" => crate::payments::AttemptStatus::parse,
    crate::invoices::InvoiceKind as "an invoice kind" => crate::invoices::InvoiceKind::parse,
    crate::conversations::ConversationKind as "a conversation kind" => crate::conversations::ConversationKind::parse,
    crate::reviews::Decision as "a review decision" => str::parse,
);

stored_as_text!(crate::money::Currency as "a currency code" => crate::money::Currency::parse, shown by code);
