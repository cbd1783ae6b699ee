# The reference for template.test.ts: ansible-core's own Templar renders each case (JSON on stdin and stdout).
import json, sys
from ansible.template import Templar
from ansible.parsing.dataloader import DataLoader
cases = json.load(sys.stdin)
out = []
for c in cases:
    t = Templar(loader=DataLoader(), variables=c.get('vars', {}))
    try:
        if c.get('condition'):
            from ansible.playbook.conditional import Conditional
            cond = Conditional(loader=DataLoader()); cond.when = [c['template']]
            r = cond.evaluate_conditional(t, c.get('vars', {}))
        else:
            r = t.template(c['template'])
        out.append({'ok': json.loads(json.dumps(r, default=str))})
    except Exception as e:
        out.append({'error': type(e).__name__ + ': ' + str(e)[:200]})
json.dump(out, sys.stdout)
