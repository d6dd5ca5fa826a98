import { useEffect, useRef, useState } from 'react';
import { statusLook } from './status';

/** Props of {@link NodeList}. */
export interface NodeListProps {
  ids: string[];
  statusOf: (id: string) => string;
  critical: Set<string>;
  selected?: string;
  onOpen: (id: string) => void;
}

/**
 * The run's nodes as a keyboard-driven list beside the graph (issue 12 "Accessibility"): one tab
 * stop; ArrowUp/ArrowDown/Home/End move, Enter or Space opens the node's details. Each row
 * shows the status as a symbol and a word.
 */
export function NodeList({ ids, statusOf, critical, selected, onOpen }: NodeListProps) {
  const [active, setActive] = useState(() => Math.max(0, selected ? ids.indexOf(selected) : 0));
  const listRef = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (selected) {
      const i = ids.indexOf(selected);
      if (i >= 0) setActive(i);
    }
  }, [selected, ids]);
  useEffect(() => {
    listRef.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);
  const onKey = (e: React.KeyboardEvent) => {
    const last = ids.length - 1;
    const move = (i: number) => {
      e.preventDefault();
      setActive(Math.max(0, Math.min(last, i)));
    };
    if (e.key === 'ArrowDown') move(active + 1);
    else if (e.key === 'ArrowUp') move(active - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(last);
    else if (e.key === 'PageDown') move(active + 10);
    else if (e.key === 'PageUp') move(active - 10);
    else if ((e.key === 'Enter' || e.key === ' ') && ids[active]) {
      e.preventDefault();
      onOpen(ids[active]!);
    }
  };
  const optionId = (i: number) => `tg-node-opt-${i}`;
  return (
    <ul
      ref={listRef}
      className="tg-node-list"
      role="listbox"
      aria-label="nodes (arrow keys to move, Enter to open)"
      tabIndex={0}
      aria-activedescendant={ids.length > 0 ? optionId(active) : undefined}
      onKeyDown={onKey}
      data-testid="node-list"
    >
      {ids.map((id, i) => {
        const look = statusLook(statusOf(id));
        return (
          <li
            key={id}
            id={optionId(i)}
            data-index={i}
            data-node={id}
            role="option"
            aria-selected={id === selected}
            className={`${i === active ? 'tg-active' : ''}${id === selected ? ' tg-chosen' : ''}`}
            onClick={() => {
              setActive(i);
              onOpen(id);
            }}
          >
            <span className="tg-list-status" style={{ color: look.color }}>
              <span aria-hidden="true">{look.icon}</span> {look.word}
            </span>{' '}
            <span className="tg-list-id">{id}</span>
            {critical.has(id) ? <span className="tg-badge tg-badge-crit">critical</span> : null}
          </li>
        );
      })}
    </ul>
  );
}
