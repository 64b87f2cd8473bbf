using ImapEvents.Infrastructure.Mailboxes;

namespace ImapEvents.Web.Features.Mailboxes;

/// <summary>The Mailboxes page's health filter as it stands in the address: <c>/mailboxes?health=failing</c>.</summary>
public static class MailboxHealthFilter
{
    public static string Token(MailboxHealthState state) => state switch
    {
        MailboxHealthState.Healthy => "healthy",
        MailboxHealthState.Failing => "failing",
        MailboxHealthState.NotCheckedYet => "not-checked-yet",
        MailboxHealthState.Disabled => "disabled",
    };

    public static string DisplayName(MailboxHealthState state) => state switch
    {
        MailboxHealthState.Healthy => "Healthy",
        MailboxHealthState.Failing => "Failing",
        MailboxHealthState.NotCheckedYet => "Not checked yet",
        MailboxHealthState.Disabled => "Disabled",
    };

    /// <summary>The state a token names; anything else is no filter (a mistyped link shows every mailbox).</summary>
    public static MailboxHealthState? Parse(string? token) =>
        Enum.GetValues<MailboxHealthState>().Where(s => string.Equals(Token(s), token, StringComparison.OrdinalIgnoreCase)).Select(s => (MailboxHealthState?)s).FirstOrDefault();

    public static string Link(MailboxHealthState state) => $"mailboxes?health={Token(state)}";
}
