using ImapEvents.Infrastructure.Persistence;

namespace ImapEvents.Infrastructure.Identity;

/// <summary>Who may use ImapEvents now: the users with the SystemAdministrator role whose account is not disabled.</summary>
public static class EnabledAdministrators
{
    public static IQueryable<string> Ids(AppDbContext db) =>
        from user in db.Users
        join userRole in db.UserRoles on user.Id equals userRole.UserId
        join role in db.Roles on userRole.RoleId equals role.Id
        where role.Name == Roles.SystemAdministrator && !user.IsDisabled
        select user.Id;
}
