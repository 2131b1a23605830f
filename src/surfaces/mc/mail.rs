//! Outgoing mail (verification links, reset tokens, one-time passwords)
//! through a pluggable sender. The development sender writes each mail to
//! the log and keeps the latest ones readable in memory; a deployment
//! plugs in a real one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub trait Mailer: Send + Sync {
    fn send(&self, mail: Mail) -> Result<(), String>;
}

const KEPT: usize = 100;

/// Logs mails and keeps the last hundred.
#[derive(Clone, Default)]
pub struct DevMailer {
    sent: Arc<Mutex<VecDeque<Mail>>>,
}

impl DevMailer {
    /// Mails sent to `to`, oldest first.
    pub fn sent_to(&self, to: &str) -> Vec<Mail> {
        let sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        sent.iter().filter(|mail| mail.to == to).cloned().collect()
    }
}

impl Mailer for DevMailer {
    fn send(&self, mail: Mail) -> Result<(), String> {
        // The development stand-in for delivery: the mail is the message.
        tracing::info!(surface = "mc", to = %mail.to, subject = %mail.subject, body = %mail.body, "mail (development sender)");
        let mut sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if sent.len() == KEPT {
            sent.pop_front();
        }
        sent.push_back(mail);
        Ok(())
    }
}
