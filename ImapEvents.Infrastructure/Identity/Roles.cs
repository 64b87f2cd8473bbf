namespace ImapEvents.Infrastructure.Identity;

public static class Roles
{
    public const string SystemAdministrator = "SystemAdministrator";

    /// <summary>A non-administrator role, so that the administrator gate is a real one.</summary>
    public const string Agent = "Agent";

    public static readonly IReadOnlyList<string> All = [SystemAdministrator, Agent];
}

public static class AuthorizationPolicies
{
    public const string SystemAdministrator = "SystemAdministrator";
}
