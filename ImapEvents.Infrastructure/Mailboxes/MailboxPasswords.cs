using Microsoft.AspNetCore.DataProtection;

namespace ImapEvents.Infrastructure.Mailboxes;

/// <summary>Encrypts mailbox passwords at rest with the shared Data Protection key ring.</summary>
public sealed class MailboxPasswords(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("ImapEvents.Mailboxes.Password.v1");

    public string Protect(string password) => protector.Protect(password);

    public string Unprotect(string protectedPassword) => protector.Unprotect(protectedPassword);
}
