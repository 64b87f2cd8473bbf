namespace ImapEvents.Core.Mailboxes;

public enum ConnectionSecurity
{
    /// <summary>Plain IMAP; the password crosses the network in clear.</summary>
    None = 0,

    /// <summary>Plain connect, then STARTTLS before logging in; refused when the server does not offer it.</summary>
    StartTls = 1,

    /// <summary>TLS from the first byte (usually port 993).</summary>
    SslOnConnect = 2,
}

public enum AfterImport
{
    MarkSeen = 0,
    MoveToFolder = 1,
    Delete = 2,
}

public static class ConnectionSecurityFacts
{
    /// <summary>Whether the connection required TLS: the "SSL" the event rules match on.</summary>
    public static bool RequiresTls(this ConnectionSecurity security) => security switch
    {
        ConnectionSecurity.None => false,
        ConnectionSecurity.StartTls => true,
        ConnectionSecurity.SslOnConnect => true,
    };

    public static string DisplayName(this ConnectionSecurity security) => security switch
    {
        ConnectionSecurity.None => "None",
        ConnectionSecurity.StartTls => "STARTTLS",
        ConnectionSecurity.SslOnConnect => "SSL/TLS on connect",
    };

    public static string DisplayName(this AfterImport action) => action switch
    {
        AfterImport.MarkSeen => "Mark as seen",
        AfterImport.MoveToFolder => "Move to a folder",
        AfterImport.Delete => "Delete",
    };
}
