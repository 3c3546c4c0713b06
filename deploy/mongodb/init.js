// Run by the mongo-init Job as the root user on mongo-0. Idempotent: it initiates the replica set
// once, then creates (or updates the password of) one user per service, allowed only its own database.
const members = process.env.MEMBERS.split(",").map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 }));
try {
  rs.status();
  print("replica set already initiated");
} catch (error) {
  if (error.codeName !== "NotYetInitialized") throw error;
  rs.initiate({ _id: process.env.REPLICA_SET, members });
  print(`replica set ${process.env.REPLICA_SET} initiated with ${members.length} members`);
}
while (!db.hello().isWritablePrimary) {
  print("waiting for mongo-0 to become primary");
  sleep(2000);
}
for (const service of process.env.SERVICES.split(",")) {
  const pwd = process.env[`${service.toUpperCase()}_PASSWORD`];
  const roles = [{ role: "readWrite", db: service }];
  const target = db.getSiblingDB(service);
  if (target.getUser(service)) target.updateUser(service, { pwd, roles });
  else target.createUser({ user: service, pwd, roles });
  print(`user ${service}: readWrite on database ${service}`);
}
// Users of the platform's own tooling, in admin, each with the least role it needs: the backup
// CronJob reads every database and the oplog (`backup`, never root); the exporter reads server
// and replica-set status (`clusterMonitor`, and `local` for the oplog window).
const tooling = {
  backup: [{ role: "backup", db: "admin" }],
  exporter: [{ role: "clusterMonitor", db: "admin" }, { role: "read", db: "local" }],
};
const admin = db.getSiblingDB("admin");
for (const [user, roles] of Object.entries(tooling)) {
  const pwd = process.env[`${user.toUpperCase()}_PASSWORD`];
  if (admin.getUser(user)) admin.updateUser(user, { pwd, roles });
  else admin.createUser({ user, pwd, roles });
  print(`user ${user}: ${roles.map((r) => `${r.role}@${r.db}`).join(", ")}`);
}
