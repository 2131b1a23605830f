//! Outgoing mail (verification links, reset tokens, one-time passwords).
//! With `STEWARD_SMTP_URL` set, mail goes out over SMTP (lettre); without
//! it, the development sender logs *that* a mail was sent, to whom and its
//! subject (never its body, which carries tokens and codes, unless
//! `STEWARD_MAIL_LOG_BODIES` asks for it) and keeps the latest mails in
//! memory for tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::MailConfig;

#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> Result<(), String>;
}

const KEPT: usize = 100;

/// Logs that mails were sent and keeps the last hundred in memory.
#[derive(Clone, Default)]
pub struct DevMailer {
    sent: Arc<Mutex<VecDeque<Mail>>>,
    log_bodies: bool,
}

impl DevMailer {
    pub fn new(log_bodies: bool) -> Self {
        Self { log_bodies, ..Self::default() }
    }

    /// Mails sent to `to`, oldest first.
    pub fn sent_to(&self, to: &str) -> Vec<Mail> {
        let sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        sent.iter().filter(|mail| mail.to == to).cloned().collect()
    }
}

#[async_trait::async_trait]
impl Mailer for DevMailer {
    async fn send(&self, mail: Mail) -> Result<(), String> {
        match self.log_bodies {
            true => tracing::info!(surface = "mc", to = %mail.to, subject = %mail.subject, body = %mail.body,
                "mail not delivered (development sender, bodies logged)"),
            false => tracing::info!(surface = "mc", to = %mail.to, subject = %mail.subject,
                "mail not delivered (development sender; set STEWARD_SMTP_URL)"),
        }
        let mut sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if sent.len() == KEPT {
            sent.pop_front();
        }
        sent.push_back(mail);
        Ok(())
    }
}

/// Delivers over SMTP.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(config: &MailConfig) -> Result<Option<Self>, String> {
        let Some(url) = &config.smtp_url else { return Ok(None) };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("STEWARD_SMTP_URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = config.from.parse().map_err(|e| format!("STEWARD_MAIL_FROM: {e}"))?;
        Ok(Some(Self { transport, from }))
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> Result<(), String> {
        let to: Mailbox = mail.to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| e.to_string())?;
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::info!(surface = "mc", to = %mail.to, subject = %mail.subject, "mail sent");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(surface = "mc", to = %mail.to, error = %e, "mail not sent");
                Err("mail server refused or unreachable".to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything logged while `mailer` sends one mail carrying a secret.
    fn logged_while_sending(mailer: DevMailer) -> String {
        #[derive(Clone, Default)]
        struct Captured(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        tracing::subscriber::with_default(subscriber, || {
            let mail = Mail { to: "a@example.com".into(), subject: "Reset".into(), body: "token=SECRET-TOKEN".into() };
            runtime.block_on(mailer.send(mail)).unwrap();
        });
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_development_sender_logs_that_a_mail_went_never_its_body() {
        let logged = logged_while_sending(DevMailer::new(false));
        assert!(logged.contains("a@example.com") && logged.contains("Reset"), "{logged}");
        assert!(!logged.contains("SECRET-TOKEN"), "{logged}");
    }

    #[test]
    fn bodies_are_logged_only_when_asked_for() {
        let logged = logged_while_sending(DevMailer::new(true));
        assert!(logged.contains("SECRET-TOKEN"), "{logged}");
    }
}
