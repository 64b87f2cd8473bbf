namespace ImapEvents.Infrastructure.Identity;

/// <summary>
/// A one-time link that lets the first administrator choose a password when no bootstrap
/// credentials were configured. Only a hash of the token is stored.
/// </summary>
public sealed class SetupToken
{
    public Guid Id { get; set; }

    public required string TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}
