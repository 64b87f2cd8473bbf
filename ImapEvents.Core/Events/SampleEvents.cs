using ImapEvents.Core.Checks;

namespace ImapEvents.Core.Events;

/// <summary>Made-up events, marked as tests: what the Test buttons send, and what templates are tried on.</summary>
public static class SampleEvents
{
    public static ImapEvent LoginFailed(DateTimeOffset occurredAt, string mailboxName, string errorMessage) => new()
    {
        Id = Guid.NewGuid(),
        IsTest = true,
        Type = ImapEventType.LoginFailed,
        OccurredAt = occurredAt,
        MailboxName = mailboxName,
        ServerName = "imap.example.com",
        ServerPort = 993,
        LoginUsername = "test@example.com",
        Ssl = true,
        Stage = CheckStage.Authenticate,
        ErrorKind = CheckErrorKind.CredentialsRejected,
        ErrorMessage = errorMessage,
    };
}
