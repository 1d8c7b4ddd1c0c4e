// Settings page: a sign-in provider's provisioning form sends its fields as
// that provider's section of PATCH /api/auth/settings, with the group
// mappings typed one per line as "<role> <group>" (a group may hold spaces
// and commas: an Active Directory DN does).
"use strict";

(() => {
  TC.hooks.provisioning = (body, form) => {
    const mappings = (body.groupMappings || []).map(line => {
      const m = line.match(/^(\S+)\s+(.+)$/);
      return m ? {providerId: "default", role: m[1], group: m[2].trim()} : {providerId: "default", role: line, group: ""};
    });
    return {[form.dataset.provider]: Object.assign({}, body, {groupMappings: mappings})};
  };
})();
